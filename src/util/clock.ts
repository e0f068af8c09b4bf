// An injectable clock for controllers (as k8s.io/utils/clock). The process clock can be shifted
// and sped up for tests through the environment:
//   K8TS_CLOCK_OFFSET=<ms>   the clock reads real time plus this offset
//   K8TS_CLOCK_RATE=<n>      the clock runs n times faster than real time from process start
// Controllers compute waits in clock time; realDelay() turns them into timer delays.

export interface Clock {
  now(): Date;
  /** the real (timer) delay for a wait of ms on this clock */
  realDelay(ms: number): number;
}

export const realClock: Clock = { now: () => new Date(), realDelay: (ms) => ms };

/** a clock shifted by offsetMs and running rate times real speed from origin */
export function scaledClock(opts: { offsetMs?: number; rate?: number; origin?: number }): Clock {
  const origin = opts.origin ?? Date.now();
  const rate = opts.rate && opts.rate > 0 ? opts.rate : 1;
  const offset = opts.offsetMs ?? 0;
  return {
    now: () => new Date(origin + (Date.now() - origin) * rate + offset),
    realDelay: (ms) => Math.max(0, ms / rate),
  };
}

const processStart = Date.now();
let envClock: Clock | undefined;

/** the process clock: real time unless K8TS_CLOCK_OFFSET / K8TS_CLOCK_RATE are set */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  const offsetMs = Number(env.K8TS_CLOCK_OFFSET ?? 0) || 0;
  const rate = Number(env.K8TS_CLOCK_RATE ?? 1) || 1;
  if (!offsetMs && rate === 1) return realClock;
  if (env === process.env) return (envClock ??= scaledClock({ offsetMs, rate, origin: processStart }));
  return scaledClock({ offsetMs, rate, origin: processStart });
}

/** A clock tests move by hand. */
export class FakeClock implements Clock {
  constructor(private t: number = Date.now()) {}
  now(): Date { return new Date(this.t); }
  realDelay(ms: number): number { return ms; }
  set(t: Date | number): void { this.t = typeof t === 'number' ? t : t.getTime(); }
  step(ms: number): void { this.t += ms; }
}
