/** RFC 3339 timestamp without fractional seconds, as metav1.Time serializes. */
export function nowRFC3339(d: Date = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** MicroTime: RFC 3339 with 6 fractional digits. */
export function nowMicroTime(d: Date = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
