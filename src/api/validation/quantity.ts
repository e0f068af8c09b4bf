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

/** the power of ten of each decimal suffix, and of 1024 of each binary one (index) */
const decimalExp: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const binarySuffix = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const binaryExp: Record<string, number> = Object.fromEntries(binarySuffix.slice(1).map((s, i) => [s, i + 1]));
const decimalSuffix: Record<number, string> = Object.fromEntries(Object.entries(decimalExp).map(([s, e]) => [e, s]));

/** mantissa·10^exp with the trailing zeros moved into exp, then exp lowered to a multiple of 3 */
function decimalParts(nano: bigint): [bigint, number] {
  if (nano === 0n) return [0n, 0];
  let m = nano, exp = -9;
  while (m % 10n === 0n) { m /= 10n; exp++; }
  while (((exp % 3) + 3) % 3 !== 0) { m *= 10n; exp--; }
  while (exp > 18) { m *= 1000n; exp -= 3; }
  return [m, exp];
}

/**
 * A quantity as the API server writes it back (upstream Quantity's canonical form): the suffix
 * kind of the input is kept (decimal SI, binary SI, or an exponent), with the largest suffix that
 * leaves an integer: "0.5" -> "500m", "1000m" -> "1", "1.5Gi" -> "1536Mi", "2000" -> "2k", 1 -> "1".
 * Precision below 1n is rounded up. Undefined when the input is not a quantity.
 */
export function canonicalQuantity(q: unknown): string | undefined {
  const s = typeof q === 'number' ? (Number.isFinite(q) ? String(q) : '') : typeof q === 'string' ? q.trim() : '';
  const m = re.exec(s);
  if (!m || !/^[+-]?(\d+\.?\d*|\.\d+)$/.test(m[1])) return undefined;
  const neg = m[1].startsWith('-');
  const [int, frac = ''] = m[1].replace(/^[+-]/, '').split('.');
  const digits = BigInt((int || '0') + frac);
  const suf = m[2];
  let pow10: number, pow1024 = 0, format: 'DecimalSI' | 'BinarySI' | 'DecimalExponent';
  if (suf in binaryExp) { pow10 = 0; pow1024 = binaryExp[suf]; format = 'BinarySI'; }
  else if (suf in decimalExp) { pow10 = decimalExp[suf]; format = 'DecimalSI'; }
  else {
    const e = /^[eE]([-+]?\d+)$/.exec(suf);
    if (!e) return undefined;
    pow10 = Number(e[1]); format = 'DecimalExponent';
  }
  // the value in nano units, rounded away from zero
  let num = digits * 1024n ** BigInt(pow1024);
  const shift = pow10 + 9 - frac.length;
  if (shift >= 0) num *= 10n ** BigInt(shift);
  else { const d = 10n ** BigInt(-shift); num = (num + d - 1n) / d; }
  const sign = neg && num !== 0n ? '-' : '';
  if (format === 'BinarySI' && (num < 1024n * 1_000_000_000n || num % 1_000_000_000n !== 0n)) format = 'DecimalSI';
  if (format === 'BinarySI') {
    let v = num / 1_000_000_000n, k = 0;
    while (k < 6 && v % 1024n === 0n) { v /= 1024n; k++; }
    return `${sign}${v}${binarySuffix[k]}`;
  }
  const [mant, exp] = decimalParts(num);
  if (format === 'DecimalExponent') return `${sign}${mant}${exp ? `e${exp}` : ''}`;
  return `${sign}${mant}${decimalSuffix[exp]}`;
}
