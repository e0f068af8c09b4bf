// Tables for custom resources (CRD additionalPrinterColumns) and the generic Name + Created At table.
import type { KObject } from '../../api/types.js';
import { since } from './duration.js';
import { findResults, parseJSONPath, resultText } from './jsonpath.js';
import { CREATED_DESC, NAME_DESC, col, nameCol, type Printer } from './types.js';

/** One entry of a CRD version's additionalPrinterColumns. */
export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  format?: string;
  description?: string;
  priority?: number;
}

/** Served when a CRD version lists no additionalPrinterColumns. */
export const defaultCustomColumns: PrinterColumn[] = [{ name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: CREATED_DESC }];

function cellFor(type: string, value: unknown, now: Date): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'integer': return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number': return typeof value === 'number' ? value : null;
    case 'boolean': return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      if (Number.isNaN(Date.parse(value))) return '<invalid>';
      return since(value, now);
    }
  }
  return null;
}

/** A printer for a custom resource: Name, then one column per printer column (invalid paths give null cells). */
export function customPrinter(columns: PrinterColumn[] | undefined): Printer {
  const cols = columns && columns.length ? columns : defaultCustomColumns;
  const paths = cols.map((c) => {
    try { return parseJSONPath(c.jsonPath); } catch { return undefined; }
  });
  return {
    columns: [nameCol(), ...cols.map((c) => ({
      name: c.name, type: c.type, format: c.format ?? '',
      description: c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`, priority: c.priority ?? 0,
    }))],
    print(obj, now) {
      const cells: unknown[] = [obj.metadata.name];
      cols.forEach((c, i) => {
        const p = paths[i];
        const results = p ? findResults(p, obj) : [];
        if (results.length === 0) { cells.push(null); return; }
        const v = results[0];
        cells.push(c.type === 'string' ? (v === null || v === undefined ? null : resultText(v)) : cellFor(c.type, v, now));
      });
      return { cells };
    },
  };
}

/** creationTimestamp in RFC3339 UTC, seconds precision (Go's Time.UTC().Format(time.RFC3339)). */
function rfc3339(ts: unknown): string {
  const t = typeof ts === 'string' ? Date.parse(ts) : NaN;
  if (Number.isNaN(t)) return '0001-01-01T00:00:00Z';
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The apiserver's default table for kinds without a printer (roles, limitranges, CRDs...): NAME, CREATED AT. */
export const defaultPrinter: Printer = {
  columns: [{ ...nameCol(), description: NAME_DESC }, col('Created At', 'date', CREATED_DESC)],
  print: (o: KObject) => ({ cells: [o.metadata.name, rfc3339(o.metadata.creationTimestamp)] }),
};
