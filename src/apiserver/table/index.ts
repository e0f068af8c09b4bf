// Server-side Table output (meta.k8s.io/v1 Table) for `kubectl get`: picks a printer per resource and builds the Table.
import { builtinResources } from '../../api/resources.js';
import type { KObject, ResourceInfo } from '../../api/types.js';
import { customPrinter, defaultPrinter, type PrinterColumn } from './custom.js';
import { printers } from './printers/index.js';
import type { Printer } from './types.js';

export type { PrinterColumn } from './custom.js';
export type { ColumnDefinition } from './types.js';
export { humanDuration } from './duration.js';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface ListMeta { resourceVersion?: string; continue?: string; remainingItemCount?: number }

export interface TableOptions {
  /** what each row's `object` holds; upstream default is Metadata (a PartialObjectMetadata) */
  includeObject?: IncludeObject;
  /** set when converting a list; without it the objects are one GET's result and metadata.resourceVersion is the object's */
  listMeta?: ListMeta;
  /** reference time for ages (default: now) */
  now?: Date;
  /** CRD printer columns for this resource/version, overriding registerCustomColumns */
  printerColumns?: PrinterColumn[];
  /** omit columnDefinitions (TableOptions.noHeaders), e.g. for watch events after the first */
  noHeaders?: boolean;
  /** alias of noHeaders */
  omitHeaders?: boolean;
  /** the Table's group/version, as negotiated from the Accept header */
  apiVersion?: 'meta.k8s.io/v1' | 'meta.k8s.io/v1beta1';
}

const customColumns = new Map<string, PrinterColumn[]>();
const key = (group: string, plural: string) => `${group}/${plural}`;

/** Records a CRD's additionalPrinterColumns for group/plural (an empty list gives the default Name + Age table). */
export function registerCustomColumns(group: string, plural: string, additionalPrinterColumns: PrinterColumn[] | undefined): void {
  customColumns.set(key(group, plural), additionalPrinterColumns ?? []);
}

export function unregisterCustomColumns(group: string, plural: string): void {
  customColumns.delete(key(group, plural));
}

const builtin = new Set(builtinResources.map((r) => key(r.group, r.plural)));

/** A custom resource's ResourceInfo may carry its version's printer columns (as src/apiserver/crd.ts builds it). */
type MaybeCustom = Pick<ResourceInfo, 'group' | 'plural'> & { custom?: { printerColumns?: PrinterColumn[] } };

/**
 * The printer that renders rows for a resource: explicit printerColumns, else the built-in printer, else the generic
 * Name + Created At table for built-ins without one, else the CRD's columns (resource.custom.printerColumns, then
 * registerCustomColumns), else the default custom-resource table (Name + Age).
 */
export function printerFor(resource: MaybeCustom, printerColumns?: PrinterColumn[]): Printer {
  const k = key(resource.group, resource.plural);
  if (printerColumns) return customPrinter(printerColumns);
  const p = printers[k];
  if (p) return p;
  if (builtin.has(k)) return defaultPrinter;
  return customPrinter(resource.custom?.printerColumns ?? customColumns.get(k));
}

function rowObject(obj: KObject, include: IncludeObject, apiVersion: string): unknown {
  switch (include) {
    case 'None': return null;
    case 'Object': return obj;
    default: return { kind: 'PartialObjectMetadata', apiVersion, metadata: obj.metadata };
  }
}

/** Converts objects (one GET result, or a list's items with listMeta) into a meta.k8s.io Table. */
export function toTable(resource: ResourceInfo, objs: KObject[], opts: TableOptions = {}): Record<string, unknown> {
  const now = opts.now ?? new Date();
  const apiVersion = opts.apiVersion ?? 'meta.k8s.io/v1';
  const include = opts.includeObject ?? 'Metadata';
  const printer = printerFor(resource, opts.printerColumns);

  const metadata: ListMeta = {};
  if (opts.listMeta) {
    if (opts.listMeta.resourceVersion) metadata.resourceVersion = opts.listMeta.resourceVersion;
    if (opts.listMeta.continue) metadata.continue = opts.listMeta.continue;
    if (opts.listMeta.remainingItemCount !== undefined && opts.listMeta.remainingItemCount !== null) metadata.remainingItemCount = opts.listMeta.remainingItemCount;
  } else if (objs.length === 1 && objs[0].metadata?.resourceVersion) {
    metadata.resourceVersion = objs[0].metadata.resourceVersion;
  }

  const rows = objs.map((obj) => {
    const printed = printer.print(obj, now);
    const row: Record<string, unknown> = { cells: printed.cells.map((c) => (c === undefined ? null : c)) };
    if (printed.conditions) row.conditions = printed.conditions;
    row.object = rowObject(obj, include, apiVersion);
    return row;
  });

  return {
    kind: 'Table',
    apiVersion,
    metadata,
    columnDefinitions: opts.noHeaders || opts.omitHeaders ? [] : printer.columns.map((c) => ({ ...c })),
    rows,
  };
}
