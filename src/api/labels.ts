// Label and field selectors: parsing the query-string form and matching.
import { StatusError } from './status.js';

export type Op = '=' | '!=' | 'in' | 'notin' | 'exists' | '!';
export interface Requirement { key: string; op: Op; values: string[] }
export type Selector = Requirement[];

function bad(msg: string): StatusError {
  return new StatusError(400, 'BadRequest', `unable to parse requirement: ${msg}`);
}

/** Parses "a=b,c!=d,e in (x,y),f notin (z),g,!h" (upstream labels.Parse). */
export function parseLabelSelector(s: string | undefined): Selector {
  const out: Selector = [];
  if (!s || !s.trim()) return out;
  let i = 0;
  const skip = () => { while (i < s.length && s[i] === ' ') i++; };
  const ident = () => { skip(); const m = /^[A-Za-z0-9_.\-/]+/.exec(s.slice(i)); if (!m) return ''; i += m[0].length; return m[0]; };
  while (i < s.length) {
    skip();
    if (s[i] === '!') {
      i++; const k = ident(); if (!k) throw bad(`found '${s.slice(i)}', expected: identifier`);
      out.push({ key: k, op: '!', values: [] });
    } else {
      const key = ident();
      if (!key) throw bad(`found '${s.slice(i, i + 1)}', expected: !, identifier, or 'end of string'`);
      skip();
      const rest = s.slice(i);
      let m: RegExpExecArray | null;
      if ((m = /^(==|!=|=)/.exec(rest))) {
        i += m[0].length; skip();
        const v = /^[A-Za-z0-9_.\-]*/.exec(s.slice(i))![0]; i += v.length;
        out.push({ key, op: m[0] === '!=' ? '!=' : '=', values: [v] });
      } else if ((m = /^(notin|in)\s*\(/.exec(rest))) {
        i += m[0].length;
        const close = s.indexOf(')', i);
        if (close < 0) throw bad(`found 'end of string', expected: ')'`);
        const vals = s.slice(i, close).split(',').map((x) => x.trim()).filter((x) => x !== '');
        i = close + 1;
        out.push({ key, op: m[1] as Op, values: vals });
      } else {
        out.push({ key, op: 'exists', values: [] });
      }
    }
    skip();
    if (i < s.length) {
      if (s[i] !== ',') throw bad(`found '${s.slice(i)}', expected: ',' or 'end of string'`);
      i++;
    }
  }
  return out;
}

export function matches(sel: Selector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  for (const r of sel) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case '=': if (!has || v !== r.values[0]) return false; break;
      case '!=': if (has && v === r.values[0]) return false; break;
      case 'in': if (!has || !r.values.includes(v)) return false; break;
      case 'notin': if (has && r.values.includes(v)) return false; break;
      case 'exists': if (!has) return false; break;
      case '!': if (has) return false; break;
    }
  }
  return true;
}

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

/** metav1.LabelSelector -> Selector (an empty selector matches everything). */
export function fromLabelSelector(ls: LabelSelectorObject | undefined): Selector {
  const out: Selector = [];
  for (const [k, v] of Object.entries(ls?.matchLabels ?? {})) out.push({ key: k, op: '=', values: [v] });
  for (const e of ls?.matchExpressions ?? []) {
    const op: Op = e.operator === 'In' ? 'in' : e.operator === 'NotIn' ? 'notin' : e.operator === 'Exists' ? 'exists' : '!';
    out.push({ key: e.key, op, values: e.values ?? [] });
  }
  return out;
}

/** metav1.LabelSelector -> "a=b,c in (d)" as kubectl prints it */
export function formatLabelSelector(ls: LabelSelectorObject | undefined): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(ls?.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const e of ls?.matchExpressions ?? []) {
    if (e.operator === 'In') parts.push(`${e.key} in (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${(e.values ?? []).join(',')})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

export interface FieldRequirement { field: string; op: '=' | '!='; value: string }

/** "metadata.name=x,status.phase!=Running" */
export function parseFieldSelector(s: string | undefined): FieldRequirement[] {
  const out: FieldRequirement[] = [];
  if (!s || !s.trim()) return out;
  for (const part of s.split(',')) {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw new StatusError(400, 'BadRequest', `invalid selector: '${s}'; can't understand '${part}'`);
    out.push({ field: m[1], op: m[2] === '!=' ? '!=' : '=', value: m[3] });
  }
  return out;
}

export function matchesFields(reqs: FieldRequirement[], fields: Record<string, string>): boolean {
  for (const r of reqs) {
    const v = fields[r.field] ?? '';
    if (r.op === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}
