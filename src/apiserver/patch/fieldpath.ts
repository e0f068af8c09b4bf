// Field sets as sigs.k8s.io/structured-merge-diff keeps them, with the FieldsV1 encoding of managedFields.
// A path element is kept in its FieldsV1 spelling: f:<name>, k:<json object of key fields>, v:<json value>, i:<index>.
// A path is in the set when its last element is a member of the node its prefix leads to.

export type PathElement = string;
export type Path = PathElement[];

function peRank(pe: PathElement): number {
  return { f: 0, k: 1, v: 2, i: 3 }[pe[0] as 'f' | 'k' | 'v' | 'i'] ?? 4;
}

export function comparePE(a: PathElement, b: PathElement): number {
  const ra = peRank(a);
  const rb = peRank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 3) return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

export class FieldSet {
  readonly members = new Set<PathElement>();
  readonly children = new Map<PathElement, FieldSet>();

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  insert(path: Path): void {
    if (path.length === 0) return;
    let node: FieldSet = this;
    for (const pe of path.slice(0, -1)) {
      let c = node.children.get(pe);
      if (!c) node.children.set(pe, (c = new FieldSet()));
      node = c;
    }
    node.members.add(path[path.length - 1]);
  }

  has(path: Path): boolean {
    if (path.length === 0) return false;
    let node: FieldSet | undefined = this;
    for (const pe of path.slice(0, -1)) {
      node = node.children.get(pe);
      if (!node) return false;
    }
    return node.members.has(path[path.length - 1]);
  }

  child(pe: PathElement): FieldSet | undefined {
    return this.children.get(pe);
  }

  isEmpty(): boolean {
    if (this.members.size) return false;
    for (const c of this.children.values()) if (!c.isEmpty()) return false;
    return true;
  }

  clone(): FieldSet {
    return this.union(new FieldSet());
  }

  union(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) out.members.add(m);
    for (const m of o.members) out.members.add(m);
    for (const [pe, c] of this.children) out.children.set(pe, c.union(o.children.get(pe) ?? new FieldSet()));
    for (const [pe, c] of o.children) if (!out.children.has(pe)) out.children.set(pe, c.clone());
    return out.pruned();
  }

  intersection(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (o.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const oc = o.children.get(pe);
      if (oc) out.children.set(pe, c.intersection(oc));
    }
    return out.pruned();
  }

  /** Members of o are taken out; a member of o does not take out the subtree below it. */
  difference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!o.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      const oc = o.children.get(pe);
      out.children.set(pe, oc ? c.difference(oc) : c.clone());
    }
    return out.pruned();
  }

  /** Like difference, but a member of o also takes out everything below it. */
  recursiveDifference(o: FieldSet): FieldSet {
    const out = new FieldSet();
    for (const m of this.members) if (!o.members.has(m)) out.members.add(m);
    for (const [pe, c] of this.children) {
      if (o.members.has(pe)) continue;
      const oc = o.children.get(pe);
      out.children.set(pe, oc ? c.recursiveDifference(oc) : c.clone());
    }
    return out.pruned();
  }

  private pruned(): this {
    for (const [pe, c] of this.children) if (c.isEmpty()) this.children.delete(pe);
    return this;
  }

  /** Every path in the set, in structured-merge-diff's iteration order (members, then children). */
  paths(prefix: Path = []): Path[] {
    const out: Path[] = [];
    for (const m of [...this.members].sort(comparePE)) out.push([...prefix, m]);
    for (const pe of [...this.children.keys()].sort(comparePE)) out.push(...this.children.get(pe)!.paths([...prefix, pe]));
    return out;
  }

  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const keys = new Set<PathElement>([...this.members, ...this.children.keys()]);
    for (const pe of [...keys].sort(comparePE)) {
      const c = this.children.get(pe);
      if (!this.members.has(pe) && (!c || c.isEmpty())) continue;
      if (c && !c.isEmpty()) {
        const inner = c.toFieldsV1();
        out[pe] = this.members.has(pe) ? { '.': {}, ...inner } : inner;
      } else {
        out[pe] = {};
      }
    }
    return out;
  }

  static fromFieldsV1(v: unknown): FieldSet {
    const s = new FieldSet();
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('FieldsV1 must be an object');
    for (const [pe, inner] of Object.entries(v as Record<string, unknown>)) {
      if (pe === '.') continue;
      if (!/^[fkvi]:/.test(pe)) throw new Error(`unknown path element ${pe}`);
      if (typeof inner !== 'object' || inner === null || Array.isArray(inner)) throw new Error('FieldsV1 must be an object');
      const entries = Object.keys(inner);
      if (entries.length === 0 || entries.includes('.')) s.members.add(pe);
      const c = FieldSet.fromFieldsV1(inner);
      if (!c.isEmpty()) s.children.set(pe, c);
    }
    return s;
  }
}

/** fieldpath.Path.String(): .spec.containers[name="app"].ports[containerPort=80,protocol="TCP"] */
export function pathString(path: Path): string {
  return path.map((pe) => {
    const body = pe.slice(2);
    switch (pe[0]) {
      case 'f': return `.${body}`;
      case 'k': {
        const o = JSON.parse(body) as Record<string, unknown>;
        return `[${Object.keys(o).sort().map((k) => `${k}=${JSON.stringify(o[k])}`).join(',')}]`;
      }
      case 'v': return `[=${body}]`;
      default: return `[${body}]`;
    }
  }).join('');
}

export const fieldPE = (name: string): PathElement => `f:${name}`;
export const valuePE = (v: unknown): PathElement => `v:${JSON.stringify(v)}`;
export const indexPE = (i: number): PathElement => `i:${i}`;
export function keyPE(fields: Record<string, unknown>): PathElement {
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(fields).sort()) sorted[k] = fields[k];
  return `k:${JSON.stringify(sorted)}`;
}
