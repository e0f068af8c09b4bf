// Kubernetes Status errors (metav1.Status). Messages read as upstream's do.

export interface StatusCause { reason?: string; message?: string; field?: string }

export interface StatusDetails {
  name?: string; group?: string; kind?: string; uid?: string;
  causes?: StatusCause[]; retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status'; apiVersion: 'v1'; metadata: Record<string, unknown>;
  status: 'Success' | 'Failure'; message?: string; reason?: string;
  details?: StatusDetails; code: number;
}

export interface GroupResource { group: string; resource: string }

function qualified(gr: GroupResource): string {
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

export class StatusError extends Error {
  constructor(public code: number, public reason: string, message: string, public details?: StatusDetails) {
    super(message);
    this.name = 'StatusError';
  }
  toStatus(): Status {
    const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, code: this.code };
    if (this.reason) s.reason = this.reason; // a Status a handler returns may carry no reason (e.g. eviction's 500)
    if (this.details) s.details = this.details;
    return s;
  }
}

/** One field problem, as upstream's field.Error. type is e.g. FieldValueRequired, FieldValueInvalid. */
export interface FieldError { type: FieldErrorType; field: string; value?: unknown; detail?: string }
export type FieldErrorType = 'FieldValueRequired' | 'FieldValueInvalid' | 'FieldValueNotSupported' | 'FieldValueDuplicate' | 'FieldValueForbidden' | 'FieldValueTooLong' | 'FieldValueTooMany' | 'FieldValueTypeInvalid' | 'FieldValueNotFound';

const fieldPhrase: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value', FieldValueInvalid: 'Invalid value', FieldValueNotSupported: 'Unsupported value',
  FieldValueDuplicate: 'Duplicate value', FieldValueForbidden: 'Forbidden', FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many', FieldValueTypeInvalid: 'Invalid value', FieldValueNotFound: 'Not found',
};

function renderValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** "spec.replicas: Invalid value: -1: must be greater than or equal to 0" */
export function fieldErrorMessage(e: FieldError): string {
  let s = `${e.field}: ${fieldPhrase[e.type]}`;
  // as upstream's ErrorBody: no value for Required, Forbidden and Too long (Too many shows the count)
  if (e.type === 'FieldValueRequired' || e.type === 'FieldValueForbidden' || e.type === 'FieldValueTooLong') {
    return e.detail ? `${s}: ${e.detail}` : s;
  }
  if (e.value !== undefined) s += `: ${renderValue(e.value)}`;
  if (e.detail) s += `: ${e.detail}`;
  return s;
}

export const errors = {
  notFound(gr: GroupResource, name: string): StatusError {
    return new StatusError(404, 'NotFound', `${qualified(gr)} "${name}" not found`, { name, group: gr.group || undefined, kind: gr.resource });
  },
  alreadyExists(gr: GroupResource, name: string): StatusError {
    return new StatusError(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, { name, group: gr.group || undefined, kind: gr.resource });
  },
  conflict(gr: GroupResource, name: string, why: string): StatusError {
    return new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`, { name, group: gr.group || undefined, kind: gr.resource });
  },
  /** 422 with causes; kind is the Kind (e.g. "Deployment") */
  invalid(group: string, kind: string, name: string, errs: FieldError[]): StatusError {
    const gk = group ? `${kind}.${group}` : kind;
    const msgs = errs.map(fieldErrorMessage);
    const agg = msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`;
    return new StatusError(422, 'Invalid', `${gk} "${name}" is invalid: ${agg}`, {
      name, group: group || undefined, kind,
      causes: errs.map((e) => ({ reason: e.type, message: fieldErrorMessage(e).slice(e.field.length + 2), field: e.field })),
    });
  },
  badRequest(message: string): StatusError { return new StatusError(400, 'BadRequest', message); },
  forbidden(gr: GroupResource, name: string, why: string): StatusError {
    const what = name ? `${qualified(gr)} "${name}"` : qualified(gr);
    return new StatusError(403, 'Forbidden', `${what} is forbidden: ${why}`, { name: name || undefined, group: gr.group || undefined, kind: gr.resource });
  },
  unauthorized(): StatusError { return new StatusError(401, 'Unauthorized', 'Unauthorized'); },
  methodNotAllowed(message: string): StatusError { return new StatusError(405, 'MethodNotAllowed', message); },
  notAcceptable(message: string): StatusError { return new StatusError(406, 'NotAcceptable', message); },
  unsupportedMediaType(contentType: string): StatusError {
    return new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`);
  },
  tooLarge(): StatusError { return new StatusError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'); },
  gone(message: string): StatusError { return new StatusError(410, 'Expired', message); },
  internal(message: string): StatusError { return new StatusError(500, 'InternalError', `Internal error occurred: ${message}`); },
  timeout(message: string): StatusError { return new StatusError(504, 'Timeout', message); },
};
