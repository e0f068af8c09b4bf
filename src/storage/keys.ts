// Key ordering helpers shared by the backends. Keys sort by their UTF-8 bytes (as in etcd
// and SQLite's BINARY collation), which is code point order.

/** The smallest string greater than every string starting with prefix; undefined = no bound. */
export function prefixEnd(prefix: string): string | undefined {
  const cps = Array.from(prefix);
  while (cps.length > 0) {
    const last = cps.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last === 0xd7ff ? 0xe000 : last + 1;
      return cps.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}

/** Compare by code point (= UTF-8 byte order), unlike `<` which compares UTF-16 units. */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // surrogates (code points >= 0x10000) sort above U+E000..U+FFFF
    if (x >= 0xd800) x += x < 0xe000 ? 0x2000 : -0x800;
    if (y >= 0xd800) y += y < 0xe000 ? 0x2000 : -0x800;
    return x - y;
  }
  return a.length - b.length;
}

/** the key range [start, end) a list over prefix from startKey covers */
export function listRange(prefix: string, startKey?: string): { start: string; end: string | undefined } {
  const start = startKey !== undefined && compareKeys(startKey, prefix) > 0 ? startKey : prefix;
  return { start, end: prefixEnd(prefix) };
}
