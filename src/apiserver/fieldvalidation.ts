// Server-side field validation (fieldValidation=Strict|Warn|Ignore): unknown fields against the kind's schema.
import { errors } from '../api/status.js';
import type { FieldSchema } from '../api/schema-types.js';
import { schemaFor } from '../api/schema.js';

function resolve<T>(v: T | (() => T) | undefined): T | undefined {
  return typeof v === 'function' ? (v as () => T)() : v;
}

export function unknownFields(schema: FieldSchema | undefined, value: unknown, path: string, out: string[]): void {
  if (!schema || value === null || value === undefined) return;
  if (schema.type === 'object') {
    const fields = resolve(schema.fields);
    if (!fields || typeof value !== 'object' || Array.isArray(value)) return;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const p = path ? `${path}.${k}` : k;
      const f = fields[k];
      if (!f) { if (!schema.preserveUnknownFields) out.push(p); continue; }
      unknownFields(f, v, p, out);
    }
  } else if (schema.type === 'array') {
    const items = resolve(schema.items);
    if (Array.isArray(value)) value.forEach((v, i) => unknownFields(items, v, `${path}[${i}]`, out));
  } else if (schema.type === 'map') {
    const items = resolve(schema.items);
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) unknownFields(items, v, `${path}.${k}`, out);
    }
  }
}

/**
 * Throws 400 under Strict; returns warnings under Warn (the default); [] under Ignore. A decoded
 * body (create, update) fails as upstream's decoder words it: `Kind in version "v1" cannot be
 * handled as a Kind: strict decoding error: ...`.
 */
export function checkUnknownFields(q: URLSearchParams, apiVersion: string, kind: string, obj: unknown, decoded = false): string[] {
  const mode = q.get('fieldValidation') ?? 'Warn';
  if (mode !== 'Strict' && mode !== 'Warn' && mode !== 'Ignore') {
    throw errors.badRequest(`fieldValidation parameter unsupported: ${mode}`);
  }
  if (mode === 'Ignore') return [];
  const found: string[] = [];
  unknownFields(schemaFor(apiVersion, kind), obj, '', found);
  const msgs = found.filter((f) => !f.startsWith('metadata.managedFields')).map((f) => `unknown field "${f}"`);
  if (!msgs.length) return [];
  const prefix = decoded ? `${kind} in version "${apiVersion.slice(apiVersion.indexOf('/') + 1)}" cannot be handled as a ${kind}: ` : '';
  if (mode === 'Strict') throw errors.badRequest(`${prefix}strict decoding error: ${msgs.join(', ')}`);
  return msgs;
}
