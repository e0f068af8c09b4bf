// metav1.MicroTime / metav1.Time renderings.

/** "2006-01-02T15:04:05.000000Z" (RFC 3339 with microseconds, UTC) */
export function microTime(d: Date = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** "2006-01-02T15:04:05Z" (RFC 3339, seconds) */
export function rfc3339(d: Date = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
