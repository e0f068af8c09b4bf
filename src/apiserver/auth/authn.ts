// Request authentication, as upstream's union of the x509 and bearer-token authenticators.
//
//   authenticate(req, ctx) -> Promise<UserInfo | undefined>
//     1. x509: a client certificate the TLS layer verified against the client CA (socket.authorized;
//        the server runs with requestCert: true, rejectUnauthorized: false) and that allows client
//        auth (extended key usage). CN -> name, O -> groups.
//     2. bearer token: `Authorization: Bearer <token>`, or for WebSockets the subprotocol
//        `base64url.bearer.authorization.k8s.io.<base64url token>`; looked up in ctx.tokens, then in
//        ctx.tokenAuthenticators (e.g. service account JWTs, satoken.ts), which may be async.
//     Authenticated users always carry the group system:authenticated.
//     undefined means anonymous or invalid credentials: the server answers 401 Unauthorized.
//   createAuthnContext(pki) -> AuthnContext   the server token maps to system:admin / system:masters.
//   TokenTable                               static tokens: add(token, user), remove(token), lookup(token).
import type { IncomingMessage } from 'node:http';
import type { TLSSocket, PeerCertificate } from 'node:tls';
import type { Pki } from './pki.js';

export interface UserInfo { name: string; uid?: string; groups: string[]; extra?: Record<string, string[]> }

export type TokenAuthenticator = (token: string) => UserInfo | undefined | Promise<UserInfo | undefined>;

export class TokenTable {
  private readonly users = new Map<string, UserInfo>();
  add(token: string, user: UserInfo): void { this.users.set(token, user); }
  remove(token: string): boolean { return this.users.delete(token); }
  lookup(token: string): UserInfo | undefined { return this.users.get(token); }
}

export interface AuthnContext {
  tokens: TokenTable;
  /** consulted in order after the static table, e.g. a service account token verifier */
  tokenAuthenticators: TokenAuthenticator[];
}

export const SYSTEM_AUTHENTICATED = 'system:authenticated';
export const ADMIN_USER: UserInfo = { name: 'system:admin', groups: ['system:masters'] };

export function createAuthnContext(pki: Pick<Pki, 'token'>): AuthnContext {
  const tokens = new TokenTable();
  tokens.add(pki.token, ADMIN_USER);
  return { tokens, tokenAuthenticators: [] };
}

export async function authenticate(req: IncomingMessage, ctx: AuthnContext): Promise<UserInfo | undefined> {
  const user = fromClientCert(req.socket as TLSSocket) ?? await fromToken(req, ctx);
  return user && withAuthenticatedGroup(user);
}

// ---- x509

const OID_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const OID_ANY_EKU = '2.5.29.37.0';
const certUsers = new WeakMap<TLSSocket, UserInfo | null>();

function fromClientCert(socket: TLSSocket): UserInfo | undefined {
  if (typeof socket.getPeerCertificate !== 'function') return undefined; // plain http
  let user = certUsers.get(socket);
  if (user === undefined) {
    user = socket.authorized ? userFromCert(socket.getPeerCertificate()) : null;
    certUsers.set(socket, user);
  }
  return user ?? undefined;
}

function userFromCert(cert: PeerCertificate): UserInfo | null {
  if (!cert || !cert.subject) return null;
  const eku = cert.ext_key_usage;
  if (eku && eku.length && !eku.includes(OID_CLIENT_AUTH) && !eku.includes(OID_ANY_EKU)) return null;
  const name = first(cert.subject.CN);
  if (!name) return null; // upstream: "common name of user/client cert is empty"
  return { name, groups: all(cert.subject.O) };
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function all(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? [...v] : [v];
}

// ---- bearer tokens

const WS_PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';

async function fromToken(req: IncomingMessage, ctx: AuthnContext): Promise<UserInfo | undefined> {
  const token = bearerToken(req);
  if (!token) return undefined;
  const user = ctx.tokens.lookup(token);
  if (user) return user;
  for (const a of ctx.tokenAuthenticators) {
    const u = await a(token);
    if (u) return u;
  }
  return undefined;
}

function bearerToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    const parts = auth.trim().split(' ');
    if (parts.length >= 2 && parts[0].toLowerCase() === 'bearer' && parts[1]) return parts[1];
    return undefined;
  }
  const protocols = req.headers['sec-websocket-protocol'];
  if (!protocols) return undefined;
  for (const p of protocols.split(',')) {
    const s = p.trim();
    if (s.startsWith(WS_PROTOCOL_PREFIX)) {
      const token = Buffer.from(s.slice(WS_PROTOCOL_PREFIX.length), 'base64url').toString('utf8');
      return token || undefined;
    }
  }
  return undefined;
}

/** the user with the group system:authenticated added (a copy) */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.groups.includes(SYSTEM_AUTHENTICATED)) return { ...user, groups: [...user.groups] };
  return { ...user, groups: [...user.groups, SYSTEM_AUTHENTICATED] };
}
