// Test helper process (until simulated nodes exist): plays the node for every pod in a namespace,
// marking pods Running/Ready and finishing graceful deletions. Runs as its own process so that
// blocking kubectl calls in the test do not stall it. Usage: node fakenode.js KUBECONFIG [NAMESPACE]
import { RestClient, clone } from '../client/index.js';

const pods = { group: '', version: 'v1', plural: 'pods', namespaced: true, kind: 'Pod' };
const [kubeconfig, namespace = 'default'] = process.argv.slice(2);
const client = RestClient.fromKubeconfig(kubeconfig);
process.on('SIGTERM', () => process.exit(0));

for (;;) {
  try {
    const list = await client.list(pods, { namespace });
    for (const p of list.items) {
      if (p.metadata.deletionTimestamp) { await client.delete(pods, p.metadata.name!, { namespace, gracePeriodSeconds: 0 }).catch(() => {}); continue; }
      if (p.status?.phase === 'Running') continue;
      const next = clone(p);
      const t = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      next.status = { ...(p.status ?? {}), phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: t }] };
      await client.updateStatus(pods, next).catch(() => {});
    }
  } catch { /* server not there (yet / any more) */ }
  await new Promise((r) => setTimeout(r, 100));
}
