// Standard 5-field cron schedules (as robfig/cron v3 ParseStandard, which upstream CronJob uses).
// parseCron returns the error text upstream reports, or undefined when the schedule is valid.

interface Bounds { min: number; max: number; names?: Record<string, number> }
const months: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const dows: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const fieldBounds: Bounds[] = [
  { min: 0, max: 59 }, { min: 0, max: 23 }, { min: 1, max: 31 }, { min: 1, max: 12, names: months }, { min: 0, max: 6, names: dows },
];
const descriptors = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

function goSlice(a: string[]): string { return `[${a.join(' ')}]`; }

function parseInt10(s: string): number | string {
  if (!/^[+-]?\d+$/.test(s)) return `failed to parse int from ${s}: strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`;
  const n = Number(s);
  if (n < 0) return `negative number (${n}) not allowed: ${s}`;
  return n;
}

function intOrName(s: string, b: Bounds): number | string {
  if (b.names && s.toLowerCase() in b.names) return b.names[s.toLowerCase()];
  return parseInt10(s);
}

function checkRange(expr: string, b: Bounds): string | undefined {
  const [rangeAndStep, ...more] = expr.split('/');
  if (more.length > 1) return `too many slashes: ${expr}`;
  const lowAndHigh = rangeAndStep.split('-');
  if (lowAndHigh.length > 2) return `too many hyphens: ${expr}`;
  let start: number; let end: number;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = b.min; end = b.max;
    if (lowAndHigh.length > 1) return `too many hyphens: ${expr}`; // robfig treats "*-x" via intOrName failure; keep it simple
  } else {
    const s = intOrName(lowAndHigh[0], b);
    if (typeof s === 'string') return s;
    start = s;
    if (lowAndHigh.length === 2) {
      const e = intOrName(lowAndHigh[1], b);
      if (typeof e === 'string') return e;
      end = e;
    } else end = start;
  }
  if (more.length === 1) {
    const st = parseInt10(more[0]);
    if (typeof st === 'string') return st;
    if (st <= 0) return `step of range should be a positive number: ${expr}`;
    if (lowAndHigh.length === 1 && !(lowAndHigh[0] === '*' || lowAndHigh[0] === '?')) end = b.max;
  }
  if (start < b.min) return `beginning of range (${start}) below minimum (${b.min}): ${expr}`;
  if (end > b.max) return `end of range (${end}) above maximum (${b.max}): ${expr}`;
  if (start > end) return `beginning of range (${start}) beyond end of range (${end}): ${expr}`;
  return undefined;
}

export function parseCron(spec: string): string | undefined {
  if (spec.length === 0) return 'empty spec string';
  let s = spec;
  if (s.startsWith('TZ=') || s.startsWith('CRON_TZ=')) {
    const i = s.indexOf(' ');
    s = i < 0 ? '' : s.slice(i).trim();
  }
  if (s.startsWith('@')) {
    if (descriptors.has(s)) return undefined;
    if (s.startsWith('@every ')) {
      return /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s.slice(7).trim()) ? undefined : `failed to parse duration ${s}: time: invalid duration ${JSON.stringify(s.slice(7).trim())}`;
    }
    return `unrecognized descriptor: ${s}`;
  }
  const fields = s.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: ${goSlice(fields)}`;
  for (let i = 0; i < 5; i++) {
    for (const part of fields[i].split(',')) {
      const err = checkRange(part, fieldBounds[i]);
      if (err) return err;
    }
  }
  return undefined;
}
