// Reads the generated model metadata of @kubernetes/client-node (one file per model class) without importing the
// whole library: the static attributeTypeMap array literal and the JSDoc of the .js/.d.ts files. Lazy, per class.
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface ModelAttr {
  /** the JSON field name */
  name: string;
  /** client-node type: 'string', 'number', 'boolean', 'Date', 'any', 'IntOrString', 'Array<T>', '{ [key: string]: T; }', or a model class */
  type: string;
  /** '', 'int32', 'int64', 'double', 'byte', 'date-time', 'date-time-micro', 'int-or-string' */
  format: string;
}

export interface ModelInfo {
  className: string;
  description?: string;
  attrs: ModelAttr[];
  /** per-field descriptions (only where the generator kept them) */
  fieldDocs: Record<string, string>;
  /** fields without `?` in the declaration */
  required: string[];
}

let modelsDir: string | undefined;
function dir(): string {
  if (!modelsDir) {
    const require = createRequire(import.meta.url);
    modelsDir = join(dirname(require.resolve('@kubernetes/client-node/package.json')), 'dist', 'gen', 'models');
  }
  return modelsDir;
}

const cache = new Map<string, ModelInfo | null>();

function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

function docText(block: string): string {
  return unescape(block.split('\n').map((l) => l.replace(/^\s*\*\s?/, '')).join('\n').trim());
}

/** Model metadata of one client-node class (e.g. 'V1PodSpec'), or undefined if there is no such model. */
export function modelInfo(className: string): ModelInfo | undefined {
  if (!/^[A-Za-z0-9]+$/.test(className)) return undefined;
  const hit = cache.get(className);
  if (hit !== undefined) return hit ?? undefined;
  const info = load(className);
  cache.set(className, info ?? null);
  return info;
}

function load(className: string): ModelInfo | undefined {
  const js = join(dir(), `${className}.js`);
  if (!existsSync(js)) return undefined;
  const src = readFileSync(js, 'utf8');
  const m = src.match(new RegExp(`${className}\\.attributeTypeMap = (\\[[\\s\\S]*?\\n\\]);`));
  if (!m) return undefined;
  const raw = JSON.parse(m[1]) as { name: string; baseName: string; type: string; format: string }[];
  const attrs = raw.map((a) => ({ name: a.baseName, type: a.type, format: a.format ?? '' }));
  const jsonName = new Map(raw.map((a) => [a.name, a.baseName]));
  const cls = src.match(/\/\*\*\n((?:(?!\/\*\*)[\s\S])*?)\*\/\nexport class/);
  const info: ModelInfo = { className, attrs, fieldDocs: {}, required: [] };
  if (cls) info.description = docText(cls[1]);
  const dts = join(dir(), `${className}.d.ts`);
  if (existsSync(dts)) {
    const d = readFileSync(dts, 'utf8');
    const body = d.slice(d.indexOf('export declare class'));
    const re = /(?:\/\*\*\n((?:(?!\*\/)[\s\S])*?)\*\/\n)?\s*'([^']+)'(\?)?:/g;
    for (let r; (r = re.exec(body)); ) {
      const name = jsonName.get(r[2]) ?? r[2];
      if (r[1]) info.fieldDocs[name] = docText(r[1]);
      if (!r[3]) info.required.push(name);
    }
  }
  return info;
}

/** The client-node class of a kind: group-prefixed names first (CoreV1Event, EventsV1Event), then V1Pod. */
export function modelClassFor(group: string, version: string, kind: string): string | undefined {
  const v = version.charAt(0).toUpperCase() + version.slice(1);
  const label = group === '' ? 'core' : group.split('.')[0];
  const prefix = label.charAt(0).toUpperCase() + label.slice(1);
  for (const name of [`${prefix}${v}${kind}`, `${v}${kind}`]) if (modelInfo(name)) return name;
  return undefined;
}

/** Model class names referenced by a client-node type string. */
export function referencedModels(type: string): string[] {
  return (type.match(/[A-Za-z0-9]+/g) ?? []).filter((t) => !['Array', 'key', 'string', 'number', 'boolean', 'any', 'Date', 'IntOrString'].includes(t));
}
