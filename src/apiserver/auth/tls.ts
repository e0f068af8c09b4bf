// TLS options for the API server's HTTPS listener.
//
//   createHttpsServerOptions(pki) -> https.ServerOptions
//     serving certificate + key; client certificates are requested and checked against the client
//     CA but not required (rejectUnauthorized: false), so token and anonymous requests still reach
//     the handler and authn decides (socket.authorized). ALPN offers only http/1.1: kubectl and
//     client-go offer h2 and http/1.1 and fall back to http/1.1, which also carries the
//     Upgrade-based streams (exec, attach, port-forward, watch over WebSocket).
//     The cipher suites are Node's defaults; the security level is 0 so that a TLS 1.2 client that
//     sends no signature_algorithms (busybox wget, in many pods) may have the handshake signed with
//     SHA-1, as RFC 5246 says and as Go's TLS stack (kube-apiserver) still does. OpenSSL 3 refuses
//     that at its default level 1, and the client sees alert 40 (handshake failure).
import { DEFAULT_CIPHERS } from 'node:tls';
import type { ServerOptions } from 'node:https';
import type { Pki } from './pki.js';

export function createHttpsServerOptions(pki: Pick<Pki, 'serving' | 'clientCa'>): ServerOptions {
  return {
    cert: pki.serving.cert,
    key: pki.serving.key,
    ca: pki.clientCa.cert,
    requestCert: true,
    rejectUnauthorized: false,
    ALPNProtocols: ['http/1.1'],
    minVersion: 'TLSv1.2',
    ciphers: `${DEFAULT_CIPHERS}:@SECLEVEL=0`,
  };
}
