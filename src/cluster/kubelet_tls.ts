// Certificates between the API server and this server's kubelet (upstream: --kubelet-client-certificate
// on the API server, --tls-cert-file and --client-ca-file on the kubelet), issued from the cluster PKI
// at each start:
//   - the kubelet's serving certificate, signed by the server CA, for this machine's names and addresses
//     (the API server verifies it against the server CA when it connects to the Node's InternalIP);
//   - the API server's client certificate (CN=kube-apiserver-kubelet-client, O=system:masters), signed
//     by the client CA, which the kubelet requires.
// Files (k3s's layout): DIR/agent/serving-kubelet.crt/key and DIR/agent/client-ca.crt, where
// runKubelet looks by default; the PKI dir's client-kube-apiserver-kubelet.crt/key.
import { mkdir, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import { join } from 'node:path';
import { issueClientCert, issueServingCert, type Pki } from '../apiserver/auth/pki.js';

export interface KubeletTls {
  /** for runKubelet */
  kubelet: { certFile: string; keyFile: string; clientCAFile: string };
  /** for the API server's kubelet connections (PEM) */
  apiserverClient: { cert: string; key: string; ca: string };
}

export function machineHosts(): string[] {
  const hosts = ['localhost', '127.0.0.1', '::1', os.hostname().toLowerCase()];
  for (const addrs of Object.values(os.networkInterfaces())) for (const a of addrs ?? []) if (!a.internal && !a.address.startsWith('fe80:')) hosts.push(a.address);
  if (process.env.K8TS_NODE_IP) hosts.push(process.env.K8TS_NODE_IP);
  if (process.env.K8TS_NODE_NAME) hosts.push(process.env.K8TS_NODE_NAME);
  return [...new Set(hosts)];
}

export async function issueKubeletTls(pki: Pki, dataDir: string): Promise<KubeletTls> {
  const serving = await issueServingCert(pki, { cn: os.hostname().toLowerCase(), hosts: machineHosts() });
  const client = await issueClientCert(pki, { cn: 'kube-apiserver-kubelet-client', orgs: ['system:masters'] });
  const f = (n: string) => join(pki.dir, n);
  const a = (n: string) => join(dataDir, 'agent', n);
  await mkdir(join(dataDir, 'agent'), { recursive: true });
  await writeFile(a('serving-kubelet.key'), serving.key, { mode: 0o600 });
  await writeFile(a('serving-kubelet.crt'), serving.cert, { mode: 0o644 });
  await writeFile(a('client-ca.crt'), pki.clientCa.cert, { mode: 0o644 });
  await writeFile(f('client-kube-apiserver-kubelet.key'), client.key, { mode: 0o600 });
  await writeFile(f('client-kube-apiserver-kubelet.crt'), client.cert, { mode: 0o644 });
  return {
    kubelet: { certFile: a('serving-kubelet.crt'), keyFile: a('serving-kubelet.key'), clientCAFile: a('client-ca.crt') },
    apiserverClient: { cert: client.cert, key: client.key, ca: pki.serverCa.cert },
  };
}
