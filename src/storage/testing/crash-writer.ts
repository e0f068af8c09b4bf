// Child process for crash_test: writes as fast as it can and prints one line per
// acknowledged write: "C <key> <rev>" for a create, "U <key> <rev> <value>" for an update.
// Usage: node crash-writer.js <endpoint ('' = sqlite in dataDir)> <dataDir> <run id> [prefix]
import { KeyExistsError } from '../backend.js';
import { openBackend } from '../index.js';

const [endpoint, dataDir, run, prefix = ''] = process.argv.slice(2);
const b = await openBackend(endpoint || undefined, dataDir, { prefix });
const out = (line: string): void => { process.stdout.write(line + '\n'); };

async function loop(j: number): Promise<void> {
  const counter = `/crash/counter/${run}-${j}`;
  let counterRev = 0;
  for (let i = 0; ; i++) {
    try {
      const key = `/crash/keys/${run}-${j}-${i}`;
      const rev = await b.create(key, JSON.stringify({ i }));
      out(`C ${key} ${rev}`);
      if (counterRev === 0) {
        counterRev = await b.create(counter, String(i));
        out(`C ${counter} ${counterRev}`);
      } else {
        const res = await b.update(counter, String(i), counterRev);
        if (!res.ok) throw new Error(`lost update on ${counter}`);
        counterRev = res.revision;
        out(`U ${counter} ${res.revision} ${i}`);
      }
    } catch (err) {
      if (err instanceof KeyExistsError) continue;
      process.stderr.write(`write failed: ${(err as Error).message}\n`);
      // resync the counter after an unknown outcome (e.g. etcd went away mid-request)
      const cur = await b.get(counter).catch(() => undefined);
      if (cur) counterRev = cur.modRevision;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

out('READY');
await Promise.all([0, 1, 2, 3].map(loop));
