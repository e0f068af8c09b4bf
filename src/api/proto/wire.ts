// A small protobuf wire-format reader (varint, length-delimited, fixed32/64).
// Errors are plain Errors with proto-style messages; decode.ts turns them into 400s.

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

const TWO32 = 4294967296;

export class WireReader {
  pos: number;
  end: number;
  /** low and high 32 bits of the last varint read (unsigned) */
  lo = 0;
  hi = 0;

  constructor(readonly buf: Buffer, pos = 0, end = buf.length) {
    this.pos = pos;
    this.end = end;
  }

  done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a varint into lo/hi. */
  varint(): void {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos;
    let lo = 0;
    let hi = 0;
    let b: number;
    for (let shift = 0; shift < 28; shift += 7) {
      if (p >= end) throw new Error('proto: unexpected EOF');
      b = buf[p++];
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) { this.pos = p; this.lo = lo >>> 0; this.hi = 0; return; }
    }
    if (p >= end) throw new Error('proto: unexpected EOF');
    b = buf[p++];
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >> 4;
    if (b < 0x80) { this.pos = p; this.lo = lo >>> 0; this.hi = hi >>> 0; return; }
    for (let shift = 3; shift < 32; shift += 7) {
      if (p >= end) throw new Error('proto: unexpected EOF');
      b = buf[p++];
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) { this.pos = p; this.lo = lo >>> 0; this.hi = hi >>> 0; return; }
    }
    throw new Error('proto: integer overflow');
  }

  /** A varint that must fit in 32 bits unsigned (tags and lengths). */
  uint32(): number {
    this.varint();
    if (this.hi !== 0) throw new Error('proto: integer overflow');
    return this.lo;
  }

  /** Reads a tag; returns the field number and sets wireType. */
  wireType = 0;
  tag(): number {
    const t = this.uint32();
    this.wireType = t & 7;
    const no = t >>> 3;
    if (no === 0) throw new Error('proto: illegal tag 0');
    return no;
  }

  /** Reads a length prefix and returns the end offset of the payload. */
  lenEnd(): number {
    const n = this.uint32();
    const e = this.pos + n;
    if (e > this.end) throw new Error('proto: unexpected EOF');
    return e;
  }

  bytes(): Buffer {
    const e = this.lenEnd();
    const b = this.buf.subarray(this.pos, e);
    this.pos = e;
    return b;
  }

  string(): string {
    const e = this.lenEnd();
    const buf = this.buf;
    let p = this.pos;
    // short ASCII strings (names, labels, enums) are most of a body: skip the UTF-8 decoder
    if (e - p <= 32) {
      let s = '';
      for (; p < e; p++) {
        const c = buf[p];
        if (c >= 0x80) break;
        s += String.fromCharCode(c);
      }
      if (p === e) { this.pos = e; return s; }
    }
    const s = buf.toString('utf8', this.pos, e);
    this.pos = e;
    return s;
  }

  fixed32(): number {
    if (this.pos + 4 > this.end) throw new Error('proto: unexpected EOF');
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Reads 8 bytes into lo/hi. */
  fixed64(): void {
    if (this.pos + 8 > this.end) throw new Error('proto: unexpected EOF');
    this.lo = this.buf.readUInt32LE(this.pos);
    this.hi = this.buf.readUInt32LE(this.pos + 4);
    this.pos += 8;
  }

  /** Skips one field value of the given wire type (groups included). */
  skip(wireType: number, fieldNo: number, depth = 0): void {
    switch (wireType) {
      case WIRE_VARINT: this.varint(); return;
      case WIRE_FIXED64: this.fixed64(); return;
      case WIRE_FIXED32: this.fixed32(); return;
      case WIRE_LEN: this.pos = this.lenEnd(); return;
      case WIRE_START_GROUP: {
        if (depth > 64) throw new Error('proto: groups nested too deeply');
        for (;;) {
          if (this.done()) throw new Error('proto: unexpected EOF');
          const no = this.tag();
          const wt = this.wireType;
          if (wt === WIRE_END_GROUP) {
            if (no !== fieldNo) throw new Error('proto: mismatched end group');
            return;
          }
          this.skip(wt, no, depth + 1);
        }
      }
      default:
        throw new Error(`proto: illegal wireType ${wireType}`);
    }
  }
}

// ---- interpreting the last varint / fixed64 read (lo, hi) ----

export function asInt64(lo: number, hi: number): number {
  return (hi | 0) * TWO32 + lo;
}

export function asUint64(lo: number, hi: number): number {
  return hi * TWO32 + lo;
}

export function asSint64(lo: number, hi: number): number {
  // zigzag: (n >>> 1) ^ -(n & 1) over 64 bits
  const neg = lo & 1;
  let l = ((lo >>> 1) | (hi << 31)) >>> 0;
  let h = hi >>> 1;
  if (neg) { l = ~l >>> 0; h = ~h >>> 0; }
  return asInt64(l, h);
}

export function asSint32(lo: number): number {
  return (lo >>> 1) ^ -(lo & 1);
}

export function asDouble(lo: number, hi: number): number {
  const b = Buffer.allocUnsafe(8);
  b.writeUInt32LE(lo, 0);
  b.writeUInt32LE(hi, 4);
  return b.readDoubleLE(0);
}

export function asFloat(v: number): number {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32LE(v, 0);
  return b.readFloatLE(0);
}
