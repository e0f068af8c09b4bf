// Small HTTP helpers: body reading with the 3 MiB limit, JSON/YAML decoding, Status responses.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { errors, StatusError } from '../api/status.js';
import { decodeK8sProtobuf, isProtobuf } from '../api/proto/decode.js';

export const maxBodyBytes = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const len = Number(req.headers['content-length'] ?? 0);
  if (len > maxBodyBytes) { req.resume(); throw errors.tooLarge(); }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of req) {
    total += (c as Buffer).length;
    if (total > maxBodyBytes) { req.resume(); throw errors.tooLarge(); }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

export function mediaType(ct: string | undefined): string {
  return (ct ?? '').split(';')[0].trim().toLowerCase();
}

/** a body of this content type is decoded by JSON.parse (a fresh object of JSON values only) */
export function isJsonBody(contentType: string | undefined): boolean {
  const mt = mediaType(contentType);
  return mt === '' || mt === 'application/json' || mt === '*/*';
}

/** decode a JSON or YAML request body into an object (400 on malformed input) */
export function decodeBody(body: Buffer, contentType: string | undefined): any {
  const mt = mediaType(contentType);
  const text = body.toString('utf8');
  if (isJsonBody(mt)) {
    try { return JSON.parse(text); } catch (e) {
      throw errors.badRequest(`the object provided is unrecognized (must be of type ...): couldn't get version/kind; json parse error: ${(e as Error).message}`);
    }
  }
  if (isProtobuf(mt)) return decodeK8sProtobuf(body).object;
  if (mt === 'application/yaml' || mt === 'application/x-yaml' || mt === 'text/yaml') {
    try { return parseYaml(text); } catch (e) {
      throw errors.badRequest(`error converting YAML to JSON: ${(e as Error).message}`);
    }
  }
  throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
}

export function sendJSON(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const s = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(s), 'Cache-Control': 'no-cache, private' });
  res.end(s);
}

export function sendStatusError(res: ServerResponse, e: StatusError): void {
  if (res.headersSent) { res.destroy(); return; }
  // as upstream's responsewriters: a suggested retry delay is also a Retry-After header
  if (e.details?.retryAfterSeconds) res.setHeader('Retry-After', String(e.details.retryAfterSeconds));
  sendJSON(res, e.code, e.toStatus());
}

export function sendError(res: ServerResponse, e: unknown): void {
  if (e instanceof StatusError) return sendStatusError(res, e);
  console.error('apiserver: internal error:', e);
  sendStatusError(res, errors.internal((e as Error)?.message ?? String(e)));
}

export function sendText(res: ServerResponse, code: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private', 'X-Content-Type-Options': 'nosniff' });
  res.end(text);
}

/** a boolean query parameter as upstream converts it: present and not "false"/"0"/"" means true (Python sends "True") */
export function queryBool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v !== null && !/^(false|0|)$/i.test(v);
}
