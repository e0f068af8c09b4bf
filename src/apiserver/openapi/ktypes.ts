// Reads the type declarations of the kubernetes-types package (generated from upstream's OpenAPI spec), which keep
// what @kubernetes/client-node drops: descriptions of fields whose type is another struct, paragraph breaks, and
// which fields are Quantity / Time / RawExtension. Parsed lazily, once per package folder.
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface KField {
  description?: string;
  /** the TypeScript type text, e.g. 'Lifecycle', 'Array<Container>', '{ [name: string]: Quantity; }' */
  type: string;
}

export interface KType {
  /** package folder: 'core/v1', 'meta/v1', 'api/resource', 'runtime', ... */
  pkg: string;
  name: string;
  description?: string;
  fields: Map<string, KField>;
}

let root: string | undefined | null;
function rootDir(): string | undefined {
  if (root === undefined) {
    try {
      root = dirname(createRequire(import.meta.url).resolve('kubernetes-types/package.json'));
    } catch {
      root = null;
    }
  }
  return root ?? undefined;
}

const files = new Map<string, Map<string, KType>>();

function doc(lines: string[]): string {
  const text = lines
    .join('\n')
    .replace(/^\s*\/\*\*\s?/, '')
    .replace(/\s*\*\/\s*$/, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, ''))
    .join('\n');
  return text.trim();
}

/** All types declared in one package file (e.g. 'core/v1'); empty if the package or file is missing. */
export function ktypesOf(pkg: string): Map<string, KType> {
  let m = files.get(pkg);
  if (m) return m;
  m = new Map();
  files.set(pkg, m);
  const dir = rootDir();
  const file = dir && join(dir, `${pkg}.d.ts`);
  if (!file || !existsSync(file)) return m;
  parse(readFileSync(file, 'utf8'), pkg, m);
  return m;
}

function parse(src: string, pkg: string, out: Map<string, KType>): void {
  const lines = src.split('\n');
  let pendingDoc: string[] = [];
  let cur: KType | undefined;
  let memberDoc: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!cur) {
      if (line.startsWith('/**')) {
        pendingDoc = [line];
        while (!lines[i].includes('*/')) pendingDoc.push(lines[++i]);
        continue;
      }
      const iface = line.match(/^export interface (\w+) \{/);
      const alias = line.match(/^export type (\w+) = (.*);/);
      if (iface) {
        cur = { pkg, name: iface[1], description: pendingDoc.length ? doc(pendingDoc) : undefined, fields: new Map() };
        out.set(cur.name, cur);
      } else if (alias) {
        out.set(alias[1], { pkg, name: alias[1], description: pendingDoc.length ? doc(pendingDoc) : undefined, fields: new Map() });
      }
      if (!line.startsWith('import')) pendingDoc = [];
      continue;
    }
    if (line === '}') {
      cur = undefined;
      continue;
    }
    if (line.startsWith('    /**')) {
      memberDoc = [line];
      while (!lines[i].includes('*/')) memberDoc.push(lines[++i]);
      continue;
    }
    const mem = line.match(/^ {4}(?:readonly )?(?:"([^"]+)"|(\w+))\??: (.*)$/);
    if (mem) {
      let type = mem[3];
      let depth = (type.match(/\{/g) ?? []).length - (type.match(/\}/g) ?? []).length;
      while (depth > 0 && i + 1 < lines.length) {
        const next = lines[++i].trim();
        type += ' ' + next;
        depth += (next.match(/\{/g) ?? []).length - (next.match(/\}/g) ?? []).length;
      }
      cur.fields.set(mem[1] ?? mem[2], { type: type.replace(/;$/, ''), description: memberDoc.length ? doc(memberDoc) : undefined });
      memberDoc = [];
    }
  }
}
