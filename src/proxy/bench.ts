// Rule-programming time, as root with nft: `node dist/proxy/bench.js [N...]` writes N ClusterIP
// Services (3 endpoints each) to a scratch table in one transaction, then updates one Service and
// 50 Services incrementally, and deletes the table. Addresses are from 10.250/16 and 10.251/16
// (never routed: no packet is sent).
import type { KObject } from '../api/types.js';
import { servicePorts } from './model.js';
import { deleteTable, nftApply } from '../util/nft.js';
import { fullRuleset, programDiff, serviceProgram, type RulesConfig } from './rules.js';

const cfg: RulesConfig = { table: 'k8ts-bench', serviceCIDR: '10.250.0.0/16', clusterCIDR: '10.251.0.0/16', podCIDR: '10.251.0.0/24', nodePortIPs: [] };

function program(i: number, endpoints: number) {
  const svc = { metadata: { namespace: 'bench', name: `s${i}` }, spec: { type: 'ClusterIP', clusterIP: `10.250.${i >> 8}.${i & 255}`, ports: [{ port: 80, protocol: 'TCP' }] } } as KObject;
  const slice = {
    metadata: { namespace: 'bench', name: `s${i}-x` }, addressType: 'IPv4', ports: [{ name: '', port: 80, protocol: 'TCP' }],
    endpoints: Array.from({ length: endpoints }, (_, k) => { const n = i * 4 + k; return { addresses: [`10.251.${(n >> 8) & 255}.${n & 255}`], conditions: { ready: true } }; }),
  } as unknown as KObject;
  return serviceProgram(cfg, servicePorts(svc, [slice]));
}

async function bench(n: number): Promise<void> {
  let t = Date.now();
  const programs = Array.from({ length: n }, (_, i) => program(i, 3));
  const script = fullRuleset(cfg, programs);
  const gen = Date.now() - t;
  t = Date.now();
  await nftApply(script);
  const full = Date.now() - t;
  t = Date.now();
  await nftApply(programDiff(cfg.table, programs[0]!, program(0, 2)).join('\n') + '\n');
  const one = Date.now() - t;
  t = Date.now();
  const lines: string[] = [];
  for (let i = 1; i <= Math.min(50, n - 1); i++) lines.push(...programDiff(cfg.table, programs[i]!, program(i, 4)));
  await nftApply(lines.join('\n') + '\n');
  const fifty = Date.now() - t;
  console.log(`${n} services: generate ${gen} ms, full table ${full} ms, one service ${one} ms, 50 services ${fifty} ms`);
}

const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
try {
  for (const n of sizes.length ? sizes : [100, 5000]) await bench(n);
} finally {
  deleteTable(cfg.table);
}
