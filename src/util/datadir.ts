// The short hash of a data dir that names what one cluster puts on the host (the CNI bridge and
// network, the proxy's and the network policies' nftables tables), so clusters can share a host.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

export function dataDirHash(dataDir: string): string {
  return createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 6);
}
