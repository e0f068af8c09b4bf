// A CRI v1 client (runtime.v1.RuntimeService and runtime.v1.ImageService) over a unix socket.
// Messages are plain objects with camelCase field names, enums as their names, int64 as numbers.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { criDescriptor, type ImageMethod, type RuntimeMethod } from './proto.js';

const packageDefinition = protoLoader.fromJSON(criDescriptor as Parameters<typeof protoLoader.fromJSON>[0], { keepCase: false, longs: Number, enums: String, defaults: true, arrays: true, objects: true });
const pkg = grpc.loadPackageDefinition(packageDefinition) as any;

/** a gRPC code as Go's codes.Code prints it (NOT_FOUND -> NotFound, CANCELLED -> Canceled) */
function goCode(code: grpc.status): string {
  if (code === grpc.status.CANCELLED) return 'Canceled';
  return String(grpc.status[code] ?? code).toLowerCase().replace(/(^|_)([a-z])/g, (_m, _u, ch: string) => ch.toUpperCase());
}

/** a runtime's error, worded as the kubelet sees one from grpc-go: "rpc error: code = NotFound desc = ..." */
export class CriError extends Error {
  constructor(readonly method: string, readonly code: grpc.status, readonly details: string) {
    super(`rpc error: code = ${goCode(code)} desc = ${details}`);
  }
}

/** what upstream's kubelet shows of a runtime error in events and container statuses (the status message alone) */
export function criMessage(e: unknown): string {
  return e instanceof CriError ? e.details : e instanceof Error ? e.message : String(e);
}

export function isCriNotFound(e: unknown): boolean { return e instanceof CriError && e.code === grpc.status.NOT_FOUND; }

export interface CallOptions { timeoutMs?: number; signal?: AbortSignal }

export class CriClient {
  private readonly runtime: grpc.Client;
  private readonly images: grpc.Client;

  /** endpoint: a socket path or unix:///path */
  constructor(readonly endpoint: string) {
    const target = endpoint.startsWith('unix:') ? endpoint : `unix://${endpoint}`;
    const creds = grpc.credentials.createInsecure();
    const opts = { 'grpc.max_receive_message_length': 16 << 20 };
    this.runtime = new pkg.runtime.v1.RuntimeService(target, creds, opts);
    this.images = new pkg.runtime.v1.ImageService(target, creds, opts);
  }

  close(): void { this.runtime.close(); this.images.close(); }

  /** waits until the socket answers Version (or the deadline passes) */
  async waitReady(timeoutMs: number): Promise<void> {
    await new Promise<void>((resolve, reject) => this.runtime.waitForReady(Date.now() + timeoutMs, (e) => (e ? reject(e) : resolve())));
  }

  call<T = any>(method: RuntimeMethod, req: object = {}, opts: CallOptions = {}): Promise<T> { return invoke(this.runtime, method, req, opts); }
  image<T = any>(method: ImageMethod, req: object = {}, opts: CallOptions = {}): Promise<T> { return invoke(this.images, method, req, opts); }

  version(): Promise<{ version: string; runtimeName: string; runtimeVersion: string; runtimeApiVersion: string }> {
    return this.call('Version', { version: 'v1' });
  }
}

function invoke<T>(client: grpc.Client, method: string, req: object, opts: CallOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
    const c = (client as any)[method](req, { deadline }, (err: grpc.ServiceError | null, res: T) => {
      opts.signal?.removeEventListener('abort', cancel);
      if (err) reject(new CriError(method, err.code, err.details));
      else resolve(res);
    });
    const cancel = () => c.cancel();
    opts.signal?.addEventListener('abort', cancel, { once: true });
  });
}
