// Cron schedules with the semantics of robfig/cron v3's ParseStandard (which upstream CronJob
// uses): 5 fields (minute hour day-of-month month day-of-week) with *, ?, ranges, steps, lists
// and month/day names; descriptors @yearly @annually @monthly @weekly @daily @midnight @hourly
// @every <duration>; an optional `CRON_TZ=<zone>` or `TZ=<zone>` prefix. Times zones go through Intl.

export interface Schedule {
  /** the first activation strictly after t (null when none within 5 years) */
  next(t: Date): Date | null;
}

interface Bounds { min: number; max: number; names?: Record<string, number> }
const months: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const dows: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const bounds: Bounds[] = [
  { min: 0, max: 59 }, { min: 0, max: 23 }, { min: 1, max: 31 }, { min: 1, max: 12, names: months }, { min: 0, max: 6, names: dows },
];
const descriptors: Record<string, string> = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};

/** a set of allowed values, and whether the field was a bare * or ? (robfig's star bit) */
interface Field { set: Set<number>; star: boolean }

export class CronParseError extends Error {}

function num(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new CronParseError(`failed to parse int from ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  const n = Number(s);
  if (n < 0) throw new CronParseError(`negative number (${n}) not allowed: ${s}`);
  return n;
}

function numOrName(s: string, b: Bounds): number {
  const n = b.names?.[s.toLowerCase()];
  return n !== undefined ? n : num(s);
}

function parseRange(expr: string, b: Bounds, f: Field): void {
  const rangeAndStep = expr.split('/');
  const lowHigh = rangeAndStep[0].split('-');
  let start: number; let end: number; let star = false;
  if (lowHigh[0] === '*' || lowHigh[0] === '?') {
    start = b.min; end = b.max; star = true;
  } else {
    start = numOrName(lowHigh[0], b);
    if (lowHigh.length === 1) end = start;
    else if (lowHigh.length === 2) end = numOrName(lowHigh[1], b);
    else throw new CronParseError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = num(rangeAndStep[1]);
    if (lowHigh.length === 1) end = b.max;   // "N/step" means "N-max/step"
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) throw new CronParseError(`too many slashes: ${expr}`);
  if (start < b.min) throw new CronParseError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new CronParseError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new CronParseError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronParseError(`step of range should be a positive number: ${expr}`);
  for (let i = start; i <= end; i += step) f.set.add(i);
  if (star) f.star = true;
}

function parseField(text: string, b: Bounds): Field {
  const f: Field = { set: new Set(), star: false };
  for (const part of text.split(',')) parseRange(part, b, f);
  return f;
}

const durationUnits: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** a Go duration ("1h30m", "90s") in milliseconds */
export function parseGoDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0; let m: RegExpExecArray | null; let pos = 0;
  while ((m = re.exec(s))) { total += Number(m[1]) * durationUnits[m[2]]; pos = re.lastIndex; }
  if (!s || pos !== s.length) throw new CronParseError(`failed to parse duration @every ${s}: time: invalid duration ${JSON.stringify(s)}`);
  return total;
}

/** Parses a schedule; throws CronParseError with robfig's message. defaultZone applies without a TZ prefix (default UTC). */
export function parseSchedule(spec: string, defaultZone = 'UTC'): Schedule {
  let s = spec.trim();
  if (!s) throw new CronParseError('empty spec string');
  let zone = defaultZone;
  if (s.startsWith('TZ=') || s.startsWith('CRON_TZ=')) {
    const i = s.indexOf(' ');
    const eq = s.indexOf('=');
    zone = s.slice(eq + 1, i < 0 ? undefined : i);
    if (!isTimeZone(zone)) throw new CronParseError(`provided bad location ${zone}: unknown time zone ${zone}`);
    s = i < 0 ? '' : s.slice(i).trim();
  }
  if (s.startsWith('@every ')) {
    const ms = parseGoDuration(s.slice(7).trim());
    return everySchedule(Math.max(1000, Math.floor(ms / 1000) * 1000));
  }
  if (s.startsWith('@')) {
    const d = descriptors[s];
    if (!d) throw new CronParseError(`unrecognized descriptor: ${s}`);
    s = d;
  }
  const parts = s.split(/\s+/).filter(Boolean);
  if (parts.length !== 5) throw new CronParseError(`expected exactly 5 fields, found ${parts.length}: [${parts.join(' ')}]`);
  const fields = parts.map((p, i) => parseField(p, bounds[i]));
  return new SpecSchedule(fields, zone);
}

export function isTimeZone(zone: string): boolean {
  if (!zone) return false;
  try { new Intl.DateTimeFormat('en-US', { timeZone: zone }); return true; } catch { return false; }
}

function everySchedule(delayMs: number): Schedule {
  // robfig: t + delay, rounded down to the second
  return { next: (t) => new Date(Math.floor((t.getTime() + delayMs) / 1000) * 1000) };
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** the wall clock in a zone, as a "naive" UTC epoch (fields of the zone read as UTC) */
export function wallClock(t: number, zone: string): number {
  if (zone === 'UTC') return t;
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(zone, f);
  }
  const p: Record<string, number> = {};
  for (const x of f.formatToParts(new Date(t))) if (x.type !== 'literal') p[x.type] = Number(x.value);
  const secMs = t - Math.floor(t / 1000) * 1000;
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) + secMs;
}

/** the zone's UTC offset in ms at instant t */
export function zoneOffset(t: number, zone: string): number { return wallClock(t, zone) - t; }

class SpecSchedule implements Schedule {
  private readonly min: Field; private readonly hour: Field; private readonly dom: Field;
  private readonly month: Field; private readonly dow: Field;

  constructor(f: Field[], private readonly zone: string) {
    [this.min, this.hour, this.dom, this.month, this.dow] = f;
  }

  private dayMatches(d: Date): boolean {
    const domMatch = this.dom.set.has(d.getUTCDate());
    const dowMatch = this.dow.set.has(d.getUTCDay());
    if (this.dom.star || this.dow.star) return domMatch && dowMatch;
    return domMatch || dowMatch;
  }

  /** the next matching wall-clock minute strictly after the naive time w */
  private nextWall(w: number): number | null {
    const d = new Date(Math.floor(w / 60_000) * 60_000 + 60_000);
    const limit = d.getUTCFullYear() + 5;
    while (d.getUTCFullYear() <= limit) {
      if (!this.month.set.has(d.getUTCMonth() + 1)) {
        d.setUTCMonth(d.getUTCMonth() + 1, 1); d.setUTCHours(0, 0, 0, 0); continue;
      }
      if (!this.dayMatches(d)) { d.setUTCDate(d.getUTCDate() + 1); d.setUTCHours(0, 0, 0, 0); continue; }
      if (!this.hour.set.has(d.getUTCHours())) { d.setUTCHours(d.getUTCHours() + 1, 0, 0, 0); continue; }
      if (!this.min.set.has(d.getUTCMinutes())) { d.setUTCMinutes(d.getUTCMinutes() + 1, 0, 0); continue; }
      return d.getTime();
    }
    return null;
  }

  next(t: Date): Date | null {
    const after = t.getTime();
    let w = wallClock(after, this.zone);
    for (let guard = 0; guard < 1000; guard++) {
      const cand = this.nextWall(w);
      if (cand === null) return null;
      // instants whose wall clock is cand: try the offsets around it (two at a DST fold, none in a gap)
      const found = [zoneOffset(cand - 86_400_000, this.zone), zoneOffset(cand, this.zone), zoneOffset(cand + 86_400_000, this.zone)]
        .map((off) => cand - off)
        .filter((i) => i > after && wallClock(i, this.zone) === cand)
        .sort((a, b) => a - b);
      if (found.length) return new Date(found[0]);
      w = cand;   // a wall time skipped by a DST jump: the next one
    }
    return null;
  }
}
