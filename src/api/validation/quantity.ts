// Kubernetes resource.Quantity parsing (enough to validate and compare).

export const quantityRegexpText = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
const re = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;

const binary: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const decimal: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** the numeric value of a quantity (e.g. "100m" -> 0.1, "1Gi" -> 1073741824); undefined when malformed */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  if (typeof q !== 'string') return undefined;
  const s = q.trim();
  const m = re.exec(s);
  if (!m) return undefined;
  const num = m[1];
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(num)) return undefined;
  const n = Number(num);
  const suf = m[2];
  if (suf in binary) return n * binary[suf];
  if (suf in decimal) return n * decimal[suf];
  const e = /^[eE]([-+]?\d+)$/.exec(suf);
  if (e) return n * 10 ** Number(e[1]);
  return undefined;
}

/** upstream's decode error for a malformed quantity */
export const quantityFormatError = `quantities must match the regular expression '${quantityRegexpText}'`;

export function isValidQuantity(q: unknown): boolean { return parseQuantity(q) !== undefined; }

/** CPU in nanocores as resource.NewScaledQuantity(n, Nano) prints it: 250m, 1, 1234567n */
export function cpuQuantity(nanoCores: number): string {
  const n = Math.round(nanoCores);
  if (n === 0) return '0';
  for (const [div, suffix] of [[1e9, ''], [1e6, 'm'], [1e3, 'u']] as const) if (n % div === 0) return `${n / div}${suffix}`;
  return `${n}n`;
}

/** bytes as a BinarySI quantity prints them: 1Mi, 1500Ki, 1000 */
export function memoryQuantity(bytes: number): string {
  const b = Math.round(bytes);
  if (b === 0) return '0';
  for (const [exp, suffix] of [[5, 'Pi'], [4, 'Ti'], [3, 'Gi'], [2, 'Mi'], [1, 'Ki']] as const) {
    const unit = 1024 ** exp;
    if (b % unit === 0) return `${b / unit}${suffix}`;
  }
  return String(b);
}
