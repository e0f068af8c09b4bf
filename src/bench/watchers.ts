// Worker thread for the watch-delivery bench: holds N HTTP watch streams on its own event loop,
// so parsing their events does not delay the writer's responses. Records, per watcher, when each
// ADDED object arrived (epoch ms, sub-ms precision: performance.timeOrigin + performance.now()).
//
// Protocol: workerData {kubeconfig, path, watchers}; posts {ready} once every stream is open,
// {progress: min events seen by any watcher} every 100 ms; on {stop} posts {arrivals: [name, at][][]}.
import { setMaxListeners } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import { connect } from './https.js';

export interface WatchersData { kubeconfig: string; path: string; watchers: number }
export type WatchersMessage = { ready: true } | { progress: number } | { arrivals: [string, number][][] } | { error: string };

async function run(port: NonNullable<typeof parentPort>, d: WatchersData): Promise<void> {
  const api = connect(d.kubeconfig);
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  const seen = Array.from({ length: d.watchers }, () => new Map<string, number>());
  await Promise.all(seen.map((m) => api.watch(d.path, (ev) => {
    if (ev.type === 'ADDED') m.set(ev.object.metadata.name, performance.timeOrigin + ev.at);
  }, ac.signal)));
  port.postMessage({ ready: true } satisfies WatchersMessage);
  const tick = setInterval(() => port.postMessage({ progress: Math.min(...seen.map((m) => m.size)) } satisfies WatchersMessage), 100);
  port.once('message', () => {
    clearInterval(tick);
    ac.abort();
    api.close();
    port.postMessage({ arrivals: seen.map((m) => [...m]) } satisfies WatchersMessage);
    port.close();
  });
}

if (parentPort) {
  const port = parentPort;
  run(port, workerData as WatchersData).catch((err) => port.postMessage({ error: String(err?.stack ?? err) } satisfies WatchersMessage));
}
