// Joins a client's remotecommand websocket (v5 or v4, answered by the kubelet) to the container
// runtime's session at `target` (containerd's stream server, websocket v4.channel.k8s.io). Frames
// pass through unchanged: stdin and resize towards the runtime, stdout, stderr and the error
// channel's Status (with the exit code) back. When either side closes, so does the other.
import WebSocket from 'ws';
import { channel, parseFrame, protocolV4 } from './channels.js';
import type { StreamOptions } from './exec.js';

export function bridgeWebsocket(client: WebSocket, target: URL, _opts: StreamOptions, log?: (m: string) => void): void {
  const wsUrl = new URL(target);
  wsUrl.protocol = target.protocol === 'https:' ? 'wss:' : 'ws:';
  const runtime = new WebSocket(wsUrl, [protocolV4], { perMessageDeflate: false });
  const pending: Buffer[] = [];
  let stdinClosed = false;
  const close = () => {
    if (client.readyState === WebSocket.OPEN) client.close(1000);
    else if (client.readyState !== WebSocket.CLOSED) client.terminate();
    if (runtime.readyState === WebSocket.OPEN) runtime.close(1000);
    else if (runtime.readyState !== WebSocket.CLOSED) runtime.terminate();
  };
  client.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    const f = parseFrame(data);
    if (!f) return;
    if (f.ch === channel.close) {
      if (f.data[0] === channel.stdin) stdinClosed = true;
      return;
    }
    if (f.ch !== channel.stdin && f.ch !== channel.resize) return;
    if (f.ch === channel.stdin && stdinClosed) return;
    if (runtime.readyState === WebSocket.OPEN) runtime.send(data);
    else pending.push(data);
  });
  runtime.on('open', () => { for (const m of pending.splice(0)) runtime.send(m); });
  runtime.on('message', (data: Buffer) => { if (client.readyState === WebSocket.OPEN) client.send(data, { binary: true }); });
  runtime.on('error', (e) => { log?.(`kubelet stream: runtime: ${e.message}`); close(); });
  client.on('error', () => close());
  runtime.on('close', close);
  client.on('close', close);
}
