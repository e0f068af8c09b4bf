// CRI ExecSync (a command run to completion inside a container) as used by exec probes and exec
// lifecycle hooks: output decoded, a timeout told apart from other failures.
import * as grpc from '@grpc/grpc-js';
import { CriError, type CriClient } from './cri/client.js';

export interface ExecResult { stdout: string; stderr: string; exitCode: number }
/** runs cmd in the container; timeoutSeconds 0 means none */
export type ExecFn = (containerId: string, cmd: string[], timeoutSeconds: number) => Promise<ExecResult>;

/** thrown when the command outlived its timeout */
export class ExecTimeoutError extends Error {}

export function criExec(cri: CriClient): ExecFn {
  return async (containerId, cmd, timeoutSeconds) => {
    const timeoutMs = timeoutSeconds > 0 ? timeoutSeconds * 1000 + 5000 : 86_400_000;
    try {
      const r = await cri.call('ExecSync', { containerId, cmd, timeout: timeoutSeconds }, { timeoutMs });
      return { stdout: Buffer.from(r.stdout ?? []).toString(), stderr: Buffer.from(r.stderr ?? []).toString(), exitCode: r.exitCode ?? 0 };
    } catch (e) {
      if (e instanceof CriError && (e.code === grpc.status.DEADLINE_EXCEEDED || /timeout|deadline exceeded/i.test(e.details))) throw new ExecTimeoutError(e.details);
      throw e;
    }
  };
}
