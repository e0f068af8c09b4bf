// Shared fixtures for the table tests (a fixed clock and timestamp helpers).
import type { KObject } from '../../api/types.js';

export const NOW = new Date('2024-06-01T12:00:00Z');

/** RFC3339 timestamp `seconds` before NOW. */
export function ago(seconds: number): string {
  return new Date(NOW.getTime() - seconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
}

export function obj(name: string, extra: Partial<KObject> = {}, meta: Record<string, unknown> = {}): KObject {
  return { metadata: { name, namespace: 'default', creationTimestamp: ago(300), resourceVersion: '7', ...meta }, ...extra };
}

export function columnNames(printer: { columns: { name: string; priority: number }[] }, priority?: number): string[] {
  return printer.columns.filter((c) => priority === undefined || c.priority === priority).map((c) => c.name);
}
