// Turning HTTP error responses into StatusError, and predicates over errors (as apimachinery's errors.IsXxx).
import { StatusError, type Status } from '../api/status.js';

const fallback: Record<number, [string, string]> = {
  400: ['BadRequest', 'the server rejected our request for an unknown reason'],
  401: ['Unauthorized', 'the server has asked for the client to provide credentials'],
  403: ['Forbidden', 'the server does not allow access to the requested resource'],
  404: ['NotFound', 'the server could not find the requested resource'],
  405: ['MethodNotAllowed', 'the server does not allow this method on the requested resource'],
  406: ['NotAcceptable', 'the server was unable to respond with a content type that the client supports'],
  409: ['Conflict', 'the server reported a conflict'],
  410: ['Gone', 'the resource requested is no longer available'],
  413: ['RequestEntityTooLarge', 'the server has rejected the request because it is too large'],
  415: ['UnsupportedMediaType', 'the server was unable to respond with a content type that the client supports'],
  422: ['Invalid', 'the server rejected our request due to an error in our request'],
  429: ['TooManyRequests', 'the server has received too many requests and has asked us to try again later'],
  500: ['InternalError', 'an error on the server has prevented the request from succeeding'],
  503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
  504: ['Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request'],
};

/** A StatusError from an error response: the Status it carries, or one made up from the code. */
export function statusErrorFromResponse(code: number, body: string): StatusError {
  let parsed: Partial<Status> | undefined;
  try { parsed = JSON.parse(body); } catch { /* not JSON */ }
  if (parsed && parsed.kind === 'Status') return statusErrorFromStatus(parsed, code);
  const [reason, message] = fallback[code] ?? ['Unknown', `an error on the server has prevented the request from succeeding (code ${code})`];
  const text = body.trim();
  return new StatusError(code, reason, text && code !== 404 ? `${message} (${text.slice(0, 200)})` : message);
}

/** A StatusError from a Status object (e.g. the object of a watch ERROR event). */
export function statusErrorFromStatus(s: Partial<Status>, code?: number): StatusError {
  return new StatusError(s.code ?? code ?? 500, s.reason ?? '', s.message ?? '', s.details);
}

function reasonOf(e: unknown): { code?: number; reason?: string } {
  return e instanceof StatusError ? e : {};
}

export const isNotFound = (e: unknown) => reasonOf(e).reason === 'NotFound' || reasonOf(e).code === 404;
export const isAlreadyExists = (e: unknown) => reasonOf(e).reason === 'AlreadyExists';
export const isConflict = (e: unknown) => reasonOf(e).reason === 'Conflict' || (reasonOf(e).code === 409 && reasonOf(e).reason !== 'AlreadyExists');
export const isInvalid = (e: unknown) => reasonOf(e).reason === 'Invalid' || reasonOf(e).code === 422;
/** 410: the resourceVersion asked for is too old ("Expired" or "Gone") */
export const isResourceExpired = (e: unknown) => reasonOf(e).code === 410 || reasonOf(e).reason === 'Expired' || reasonOf(e).reason === 'Gone';
export const isForbidden = (e: unknown) => reasonOf(e).code === 403;
export const isUnauthorized = (e: unknown) => reasonOf(e).code === 401;
