// A small JSONPath evaluator for CRD additionalPrinterColumns: .a.b, .a[0].c, .a[-1], .a[*].b, .a[0:2], ['k.with.dots'],
// escaped dots (.a\.b), recursive descent (..name) and filters ([?(@.type=="Ready")], [?(@.x)]).

type Step =
  | { t: 'field'; name: string }
  | { t: 'wild' }
  | { t: 'recurse' }
  | { t: 'slice'; start?: number; end?: number; step?: number; single: boolean }
  | { t: 'filter'; left: Operand; op?: string; right?: Operand };

type Operand = { path: Step[] } | { lit: unknown };

export class JSONPathError extends Error {}

export function parseJSONPath(src: string): Step[] {
  let s = src.trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  const p = new Parser(s);
  const steps = p.steps();
  if (p.i < s.length) throw new JSONPathError(`unexpected ${JSON.stringify(s.slice(p.i))} in ${src}`);
  return steps;
}

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  steps(stopAt = ''): Step[] {
    const out: Step[] = [];
    const s = this.s;
    if (s[this.i] === '$' || s[this.i] === '@') this.i++;
    while (this.i < s.length && !stopAt.includes(s[this.i])) {
      if (s.startsWith('..', this.i)) {
        this.i += 2;
        out.push({ t: 'recurse' });
        if (s[this.i] !== '[' && s[this.i] !== '.') out.push(this.field());
      } else if (s[this.i] === '.') {
        this.i++;
        if (s[this.i] === '*') { this.i++; out.push({ t: 'wild' }); } else out.push(this.field());
      } else if (s[this.i] === '[') {
        out.push(this.bracket());
      } else if (/\s/.test(s[this.i])) {
        break;
      } else {
        // a leading bare field name, e.g. "metadata.name"
        if (out.length === 0) out.push(this.field());
        else throw new JSONPathError(`unexpected ${JSON.stringify(s[this.i])}`);
      }
    }
    return out;
  }

  field(): Step {
    let name = '';
    const s = this.s;
    while (this.i < s.length && !'.[]()=!<> '.includes(s[this.i])) {
      if (s[this.i] === '\\' && s[this.i + 1] === '.') { name += '.'; this.i += 2; continue; }
      name += s[this.i++];
    }
    if (!name) throw new JSONPathError('empty field name');
    return { t: 'field', name };
  }

  bracket(): Step {
    const s = this.s;
    this.i++; // [
    let step: Step;
    if (s[this.i] === '*') {
      this.i++;
      step = { t: 'wild' };
    } else if (s[this.i] === "'" || s[this.i] === '"') {
      step = { t: 'field', name: this.quoted() };
    } else if (s.startsWith('?(', this.i)) {
      this.i += 2;
      const left = this.operand();
      this.ws();
      const m = /^(==|!=|<=|>=|<|>)/.exec(s.slice(this.i));
      let op: string | undefined;
      let right: Operand | undefined;
      if (m) {
        op = m[1];
        this.i += op.length;
        this.ws();
        right = this.operand();
        this.ws();
      }
      if (s[this.i] !== ')') throw new JSONPathError('unterminated filter');
      this.i++;
      step = { t: 'filter', left, op, right };
    } else {
      const m = /^(-?\d*)(?::(-?\d*))?(?::(-?\d*))?/.exec(s.slice(this.i))!;
      this.i += m[0].length;
      const num = (x: string | undefined) => (x === undefined || x === '' ? undefined : Number(x));
      if (m[2] === undefined) {
        if (m[1] === '') throw new JSONPathError('bad array index');
        step = { t: 'slice', start: Number(m[1]), single: true };
      } else {
        step = { t: 'slice', start: num(m[1]), end: num(m[2]), step: num(m[3]), single: false };
      }
    }
    if (s[this.i] !== ']') throw new JSONPathError('expected ]');
    this.i++;
    return step;
  }

  quoted(): string {
    const q = this.s[this.i++];
    let out = '';
    while (this.i < this.s.length && this.s[this.i] !== q) {
      if (this.s[this.i] === '\\') this.i++;
      out += this.s[this.i++];
    }
    if (this.s[this.i] !== q) throw new JSONPathError('unterminated string');
    this.i++;
    return out;
  }

  ws(): void { while (/\s/.test(this.s[this.i] ?? '')) this.i++; }

  operand(): Operand {
    const s = this.s;
    if (s[this.i] === '@') return { path: this.steps(')=!<> ') };
    if (s[this.i] === "'" || s[this.i] === '"') return { lit: this.quoted() };
    const m = /^(-?\d+(?:\.\d+)?|true|false)/.exec(s.slice(this.i));
    if (!m) throw new JSONPathError(`bad filter operand at ${s.slice(this.i)}`);
    this.i += m[0].length;
    return { lit: m[1] === 'true' ? true : m[1] === 'false' ? false : Number(m[1]) };
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function descendants(v: unknown, out: unknown[]): void {
  const kids = Array.isArray(v) ? v : isObj(v) ? Object.values(v) : [];
  if (kids.length === 0) return;
  out.push(v);
  for (const k of kids) descendants(k, out);
}

function compare(op: string, a: unknown, b: unknown): boolean {
  switch (op) {
    case '==': return a === b;
    case '!=': return a !== b;
  }
  if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) return false;
  switch (op) {
    case '<': return (a as number) < (b as number);
    case '>': return (a as number) > (b as number);
    case '<=': return (a as number) <= (b as number);
    case '>=': return (a as number) >= (b as number);
  }
  return false;
}

function evalOperand(o: Operand, v: unknown): unknown[] {
  return 'lit' in o ? [o.lit] : evalSteps(o.path, [v]);
}

function evalSteps(steps: Step[], input: unknown[]): unknown[] {
  let cur = input;
  for (const st of steps) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (v === null || v === undefined) continue;
      switch (st.t) {
        case 'field':
          if (isObj(v) && Object.prototype.hasOwnProperty.call(v, st.name)) next.push(v[st.name]);
          break;
        case 'wild':
          if (Array.isArray(v)) next.push(...v);
          else if (isObj(v)) next.push(...Object.values(v));
          break;
        case 'recurse':
          descendants(v, next);
          break;
        case 'slice': {
          if (!Array.isArray(v)) break;
          const n = v.length;
          if (st.single) {
            const i = st.start! < 0 ? st.start! + n : st.start!;
            if (i >= 0 && i < n) next.push(v[i]);
            break;
          }
          let a = st.start ?? 0;
          let b = st.end ?? n;
          if (a < 0) a += n;
          if (b < 0) b += n;
          a = Math.max(0, Math.min(a, n));
          b = Math.max(0, Math.min(b, n));
          const step = st.step && st.step > 0 ? st.step : 1;
          for (let i = a; i < b; i += step) next.push(v[i]);
          break;
        }
        case 'filter': {
          if (!Array.isArray(v)) break;
          for (const el of v) {
            const lefts = evalOperand(st.left, el);
            if (!st.op) {
              if (lefts.length > 0) next.push(el);
              continue;
            }
            const rights = evalOperand(st.right!, el);
            if (lefts.length === 1 && rights.length === 1 && compare(st.op, lefts[0], rights[0])) next.push(el);
          }
          break;
        }
      }
    }
    cur = next;
  }
  return cur;
}

/** All values the path selects in data (missing keys give no results rather than errors). */
export function findResults(path: string | Step[], data: unknown): unknown[] {
  const steps = typeof path === 'string' ? parseJSONPath(path) : path;
  return evalSteps(steps, [data]);
}

/** JSON with map keys sorted, as Go's encoding/json writes maps. */
function sortedJSON(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJSON).join(',')}]`;
  if (isObj(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${sortedJSON(v[k])}`).join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** Text of one result as kubectl's jsonpath prints it: scalars plainly, maps and lists as JSON. */
export function resultText(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'object') return sortedJSON(v);
  return String(v);
}
