// Shapes of meta.k8s.io Table parts and of one printer (columns + row function).
import type { KObject } from '../../api/types.js';

export interface ColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface RowCondition { type: string; status: string; reason?: string; message?: string }

export interface PrintedRow { cells: unknown[]; conditions?: RowCondition[] }

export interface Printer {
  columns: ColumnDefinition[];
  /** cells always include the priority-1 (wide) columns, as upstream's server-side tables do */
  print(obj: KObject, now: Date): PrintedRow;
}

export const NAME_DESC = 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
export const CREATED_DESC = 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

/** Column helper: col('Ready', 'string', 'desc', 1) */
export function col(name: string, type: string, description = '', priority = 0, format = ''): ColumnDefinition {
  return { name, type, format, description, priority };
}
export const nameCol = (): ColumnDefinition => col('Name', 'string', NAME_DESC, 0, 'name');
export const ageCol = (): ColumnDefinition => col('Age', 'string', CREATED_DESC);
export const containersCol = (p = 1): ColumnDefinition => col('Containers', 'string', 'Names of each container in the template.', p);
export const imagesCol = (p = 1): ColumnDefinition => col('Images', 'string', 'Images referenced by each container in the template.', p);
