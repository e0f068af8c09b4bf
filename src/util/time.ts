let cachedSecond = NaN;
let cachedText = '';

/**
 * RFC 3339 timestamp without fractional seconds, as metav1.Time serializes. Without a date: now
 * (the text is made once per second; every object written stamps one).
 */
export function nowRFC3339(d?: Date): string {
  if (d) return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const second = Math.floor(Date.now() / 1000);
  if (second !== cachedSecond) {
    cachedText = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    cachedSecond = second;
  }
  return cachedText;
}

/** MicroTime: RFC 3339 with 6 fractional digits. */
export function nowMicroTime(d: Date = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
