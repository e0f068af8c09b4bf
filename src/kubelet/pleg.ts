// The pod lifecycle event generator (upstream's generic PLEG): one relist of every sandbox and
// container through the CRI per period, compared with the last one; only pods whose sandboxes or
// containers appeared, vanished or changed state are handed on for a sync. This replaces a
// periodic sync of every pod, which costs several CRI calls per pod per period.
// A sync reports what it saw or did (observed): a relist then hands on only changes it did not
// already know of, so a pod is not synced again just because its own sync started its containers.
import type { CriClient } from './cri/client.js';
import { podUidLabel } from './runtime.js';

export class Pleg {
  private last = new Map<string, { uid: string; state: string }>();

  constructor(private readonly cri: CriClient, private readonly changed: (podUid: string) => void) {}

  /** states a sync saw (or brought about): `s/<sandbox id>` or `c/<container id>` -> CRI state */
  observed(uid: string, states: Iterable<[string, string]>): void {
    for (const [id, state] of states) this.last.set(id, { uid, state });
  }

  /** lists once; calls `changed` for each pod uid whose runtime state moved since the last relist */
  async relist(): Promise<void> {
    const [sbs, cs] = await Promise.all([this.cri.call('ListPodSandbox', {}), this.cri.call('ListContainers', {})]);
    const now = new Map<string, { uid: string; state: string }>();
    for (const s of sbs.items as any[]) now.set(`s/${s.id}`, { uid: s.labels?.[podUidLabel] ?? '', state: s.state });
    for (const c of cs.containers as any[]) now.set(`c/${c.id}`, { uid: c.labels?.[podUidLabel] ?? '', state: c.state });
    const uids = new Set<string>();
    for (const [id, v] of now) if (this.last.get(id)?.state !== v.state) uids.add(v.uid);
    for (const [id, v] of this.last) if (!now.has(id)) uids.add(v.uid);
    this.last = now;
    for (const uid of uids) if (uid) this.changed(uid);
  }
}
