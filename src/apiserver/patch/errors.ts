// Errors raised by the patch engines, shaped as the apiserver's patch handler reports them.
import { StatusError } from '../../api/status.js';

/** errors.NewGenericServerResponse(422, ...): what upstream returns when a JSON patch op fails. */
export function unprocessable(serverMessage: string): StatusError {
  return new StatusError(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'UnexpectedServerResponse', message: serverMessage }],
  });
}

/** A plain Go error surfacing through the handler: 500 with no reason. */
export function plainError(message: string): StatusError {
  return new StatusError(500, '', message);
}

export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

/** Parse JSON, reporting failures in the words of Go's encoding/json. */
export function parseJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw badRequest(goJSONError(text, e as Error));
  }
}

function goJSONError(text: string, e: Error): string {
  const first = text.search(/\S/);
  if (first < 0 || /end of (JSON )?input/i.test(e.message)) return 'unexpected end of JSON input';
  if (!/[[{"\-0-9tfn]/.test(text[first])) return `invalid character '${text[first]}' looking for beginning of value`;
  const m = /position (\d+)/.exec(e.message);
  let pos = m ? Number(m[1]) : -1;
  if (pos >= text.length) return 'unexpected end of JSON input';
  if (pos < 0) {
    const t = /token '(.)'/.exec(e.message);
    pos = t ? text.indexOf(t[1], first) : first;
  }
  return `invalid character '${text[pos]}' looking for beginning of value`;
}

/** Go's %v rendering of a decoded JSON value (map[k:v], [a b], <nil>), used in upstream messages. */
export function goFmt(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFmt).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o).sort().map((k) => `${k}:${goFmt(o[k])}`).join(' ')}]`;
  }
  return String(v);
}
