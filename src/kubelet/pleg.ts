// The pod lifecycle event generator (upstream's generic PLEG): one relist of every sandbox and
// container through the CRI per period, compared with the last one; only pods whose sandboxes or
// containers appeared, vanished or changed state are handed on for a sync. This replaces a
// periodic sync of every pod, which costs several CRI calls per pod per period.
// A sync reports what it saw or did (observed): a relist then hands on only changes it did not
// already know of, so a pod is not synced again just because its own sync started its containers.
// Changes to a pod whose sync is running are left to the first relist after it: that sync will
// likely see them itself (syncing the pod again at once was a third of all syncs under load).
import type { CriClient } from './cri/client.js';
import { podUidLabel } from './runtime.js';

export class Pleg {
  private last = new Map<string, { uid: string; state: string }>();
  private readonly syncing = new Set<string>();
  /** pods with a sync running at any time since the current relist began */
  private touched = new Set<string>();
  private listing = false;

  constructor(private readonly cri: CriClient, private readonly changed: (podUid: string) => void) {}

  /** states a sync saw (or brought about): `s/<sandbox id>` or `c/<container id>` -> CRI state */
  observed(uid: string, states: Iterable<[string, string]>): void {
    for (const [id, state] of states) this.last.set(id, { uid, state });
  }

  /** a sync of the pod started (until syncDone) */
  syncStarted(uid: string): void { this.syncing.add(uid); this.touched.add(uid); }
  syncDone(uid: string): void { this.syncing.delete(uid); }

  /** lists once; calls `changed` for each pod uid whose runtime state moved since the last relist */
  async relist(): Promise<void> {
    if (this.listing) return; // one at a time (a slow runtime must not pile them up)
    this.listing = true;
    this.touched = new Set(this.syncing);
    let sbs: any, cs: any;
    try {
      [sbs, cs] = await Promise.all([this.cri.call('ListPodSandbox', {}), this.cri.call('ListContainers', {})]);
    } finally { this.listing = false; }
    // a pod synced while the lists were taken is judged by the next relist: the lists may predate
    // what its sync observed
    const busy = this.touched;
    const now = new Map<string, { uid: string; state: string }>();
    for (const s of sbs.items as any[]) now.set(`s/${s.id}`, { uid: s.labels?.[podUidLabel] ?? '', state: s.state });
    for (const c of cs.containers as any[]) now.set(`c/${c.id}`, { uid: c.labels?.[podUidLabel] ?? '', state: c.state });
    const uids = new Set<string>();
    // such a pod keeps its last states (what its sync observes replaces them)
    for (const [id, v] of this.last) if (busy.has(v.uid)) now.set(id, v);
    for (const [id, v] of now) {
      if (busy.has(v.uid)) { if (!this.last.has(id)) now.delete(id); continue; }
      if (this.last.get(id)?.state !== v.state) uids.add(v.uid);
    }
    for (const [id, v] of this.last) if (!now.has(id)) uids.add(v.uid);
    this.last = now;
    for (const uid of uids) if (uid) this.changed(uid);
  }
}
