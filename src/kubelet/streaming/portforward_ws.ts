// Port forwarding over a WebSocket with channels (upstream kubelet's portforward/websocket.go), as
// @kubernetes/client-node and other websocket clients use it: the ports come from the query
// (?port=80&port=81), port i gets channel 2i for data and 2i+1 for errors, every message starts
// with its channel (binary "v4.channel.k8s.io", or no subprotocol), or with the channel as an ASCII
// digit followed by base64 ("v4.base64.channel.k8s.io"). The first message on each channel is the
// port, 2 bytes little endian. One connection per port, for the life of the WebSocket, which
// closes once every port's connection has ended.
import type { WebSocket } from 'ws';
import type { PodConnection, PortForwardOptions, PortForwardTarget } from './portforward.js';

export const ChannelProtocols = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io'];

/** the ports of a websocket port-forward request, or why they are not acceptable */
export function queryPorts(q: URLSearchParams): number[] | string {
  const raw = q.getAll('port').flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean);
  if (raw.length === 0) return 'query parameter "port" is required';
  const ports: number[] = [];
  for (const p of raw) {
    if (!/^\d+$/.test(p) || Number(p) > 65535) return `unable to parse "${p}" as a port`;
    if (Number(p) < 1) return `port "${p}" must be > 0`;
    ports.push(Number(p));
  }
  return ports;
}

/** bytes the WebSocket may hold unsent before a pod connection is paused */
const maxBuffered = 1024 * 1024;

export function serveChannelPortForward(ws: WebSocket, protocol: string, ports: number[], target: PortForwardTarget, opts: PortForwardOptions = {}): void {
  const base64 = protocol === 'v4.base64.channel.k8s.io';
  const send = (channel: number, data: Buffer, done?: () => void) => {
    if (ws.readyState !== ws.OPEN) return;
    const msg = base64 ? String.fromCharCode(48 + channel) + data.toString('base64') : Buffer.concat([Buffer.from([channel]), data]);
    ws.send(msg, () => done?.());
  };
  const conns: (PodConnection | undefined)[] = [];
  const pending: Buffer[][] = ports.map(() => []);
  const finished = new Set<number>();
  const finish = (i: number) => {
    finished.add(i);
    if (finished.size === ports.length && ws.readyState === ws.OPEN) ws.close(1000);
  };
  ports.forEach((port, i) => {
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16LE(port);
    send(2 * i, prefix);
    send(2 * i + 1, prefix);
  });
  ws.on('message', (msg: Buffer, isBinary: boolean) => {
    let channel: number;
    let payload: Buffer;
    if (base64 && !isBinary) {
      const text = msg.toString('latin1');
      channel = text.charCodeAt(0) - 48;
      payload = Buffer.from(text.slice(1), 'base64');
    } else {
      channel = msg[0];
      payload = msg.subarray(1);
    }
    const i = channel >> 1;
    if (channel % 2 !== 0 || i >= ports.length || payload.length === 0) return; // only data channels carry input
    const c = conns[i];
    if (c) c.write(payload);
    else pending[i].push(payload);
  });
  ws.on('close', () => { for (const c of conns) c?.destroy(); });
  ports.forEach(async (port, i) => {
    let c: PodConnection;
    try {
      c = await target.dial(port);
    } catch (e) {
      const msg = `error forwarding port ${port} to pod ${target.pod}, uid ${target.uid}: ${e instanceof Error ? e.message : e}`;
      opts.log?.(`portforward: ${msg}`);
      send(2 * i + 1, Buffer.from(msg), () => finish(i));
      return;
    }
    if (ws.readyState !== ws.OPEN) { c.destroy(); return; }
    conns[i] = c;
    c.setNoDelay?.(true);
    for (const p of pending[i].splice(0)) c.write(p);
    c.on('data', (d: Buffer) => {
      send(2 * i, d, () => { if (ws.bufferedAmount < maxBuffered) c.resume(); });
      if (ws.bufferedAmount >= maxBuffered) c.pause();
    });
    c.on('error', (e) => { if (!['ECONNRESET', 'EPIPE'].includes((e as NodeJS.ErrnoException).code ?? '')) send(2 * i + 1, Buffer.from(`error forwarding port ${port} to pod ${target.pod}, uid ${target.uid}: ${e.message}`)); });
    c.on('end', () => c.end()); // channels cannot half-close: the pod's end ends the connection
    c.on('close', () => finish(i));
  });
}
