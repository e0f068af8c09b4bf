// Runs one nftables transaction (`nft -f -`): all of the script applies, or none of it.
import { execFile, execFileSync, spawn } from 'node:child_process';

export type Apply = (script: string) => Promise<void>;

export const nftApply: Apply = (script) => new Promise((resolve, reject) => {
  const p = spawn('nft', ['-f', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  p.on('error', reject);
  p.on('close', (code) => code === 0 ? resolve() : reject(new Error(`nft -f: exit ${code}: ${err.slice(0, 2000)}`)));
  p.stdin.end(script);
});

/** deletes the table if it exists (synchronous, for cleanup paths) */
export function deleteTable(table: string): void {
  try { execFileSync('nft', ['delete', 'table', 'inet', table], { stdio: 'ignore' }); } catch { /* not there */ }
}

/** whether the table exists (`nft list tables`: cheap whatever the table holds); true when nft cannot tell */
export const tableExists = (table: string): Promise<boolean> => new Promise((resolve) => {
  execFile('nft', ['list', 'tables', 'inet'], (err, out) => resolve(!!err || out.split('\n').some((l) => l.trim() === `table inet ${table}`)));
});
