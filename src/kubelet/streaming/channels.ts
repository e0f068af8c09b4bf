// The channel framing of the websocket remotecommand protocols (k8s.io/apimachinery wsstream,
// client-go remotecommand): each binary message is one channel byte and the data. v4 carries a
// metav1.Status on the error channel (with the exit code); v5 adds the close signal (255, then the
// closed channel).
export const channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

export const protocolV5 = 'v5.channel.k8s.io';
export const protocolV4 = 'v4.channel.k8s.io';
/** what the kubelet speaks to clients, preferred first */
export const serverProtocols = [protocolV5, protocolV4];

/** the subprotocol to answer a client offering `offered` (the server's preference wins), or undefined */
export function pickProtocol(offered: Iterable<string>, supported: string[] = serverProtocols): string | undefined {
  const set = new Set([...offered].map((p) => p.trim()));
  return supported.find((p) => set.has(p));
}

export function frame(ch: number, data: Buffer | string = Buffer.alloc(0)): Buffer {
  const d = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from([ch]), d]);
}

export function parseFrame(msg: Buffer): { ch: number; data: Buffer } | undefined {
  if (msg.length === 0) return undefined;
  return { ch: msg[0], data: msg.subarray(1) };
}
