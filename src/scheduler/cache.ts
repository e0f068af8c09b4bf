// The scheduler's cache: NodeInfo per node, fed by the node and pod informers, plus "assumed"
// pods (placed by the scheduler, binding in flight) so the next decision already counts them.
import type { KObject } from '../api/types.js';
import { makePodEntry, NodeInfo } from './nodeinfo.js';

export const podKey = (p: KObject) => `${p.metadata.namespace}/${p.metadata.name}`;

/** pods that no longer hold resources on their node */
export const isTerminal = (p: KObject) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';

export class SchedulerCache {
  readonly nodes = new Map<string, NodeInfo>();
  /** node names in a stable order, for round-robin sampling */
  private order: string[] = [];
  private orderDirty = false;
  /** pod key -> node name, for every pod counted (bound or assumed) */
  private podNode = new Map<string, string>();
  /** assumed pod key -> uid */
  readonly assumed = new Map<string, string>();

  private info(name: string): NodeInfo {
    let n = this.nodes.get(name);
    if (!n) { n = new NodeInfo(name); this.nodes.set(name, n); this.orderDirty = true; }
    return n;
  }

  setNode(node: KObject): void { this.info(node.metadata.name!).setNode(node); }

  removeNode(name: string): void {
    const n = this.nodes.get(name);
    if (!n) return;
    n.node = undefined;
    if (!n.pods.size) { this.nodes.delete(name); this.orderDirty = true; }
  }

  /** the nodes that exist (have a Node object), in a stable order */
  nodeList(): NodeInfo[] {
    if (this.orderDirty) { this.order = [...this.nodes.keys()].sort(); this.orderDirty = false; }
    const out: NodeInfo[] = [];
    for (const k of this.order) { const n = this.nodes.get(k)!; if (n?.node) out.push(n); }
    return out;
  }

  /** an informer saw this pod: count it on its node (or stop counting it) */
  updatePod(pod: KObject): void {
    const key = podKey(pod);
    const node = pod.spec?.nodeName;
    if (!node && this.assumed.has(key) && !isTerminal(pod)) return;   // binding in flight; the event is older
    if (!node || isTerminal(pod)) { this.removePod(key); return; }
    if (this.assumed.get(key) === pod.metadata.uid) this.assumed.delete(key);   // confirmed
    const prev = this.podNode.get(key);
    if (prev && prev !== node) this.nodes.get(prev)?.removePod(key);
    this.info(node).addPod(key, makePodEntry(pod));
    this.podNode.set(key, node);
  }

  removePod(key: string): void {
    const prev = this.podNode.get(key);
    if (!prev) return;
    this.podNode.delete(key);
    this.assumed.delete(key);
    const n = this.nodes.get(prev);
    n?.removePod(key);
    if (n && !n.node && !n.pods.size) { this.nodes.delete(prev); this.orderDirty = true; }
  }

  /** counts a pod on a node before the binding is confirmed */
  assume(pod: KObject, node: string): void {
    const key = podKey(pod);
    const bound = { ...pod, spec: { ...pod.spec, nodeName: node } };
    this.info(node).addPod(key, makePodEntry(bound));
    this.podNode.set(key, node);
    this.assumed.set(key, pod.metadata.uid!);
  }

  /** the binding failed: stop counting the assumed pod */
  forget(pod: KObject): void {
    const key = podKey(pod);
    if (this.assumed.has(key)) this.removePod(key);
  }

  isAssumed(key: string): boolean { return this.assumed.has(key); }
  nodeOf(key: string): string | undefined { return this.podNode.get(key); }
}
