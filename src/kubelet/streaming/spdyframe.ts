// SPDY/3 framing for spdy.ts: frame layouts, name/value header blocks, the header compression
// context (SPDY/3 dictionary) and a byte queue for parsing.
import zlib from 'node:zlib';

export type SpdyHeaders = Record<string, string | string[]>;

/** RST_STREAM status codes */
export const RstStatus = {
  PROTOCOL_ERROR: 1, INVALID_STREAM: 2, REFUSED_STREAM: 3, UNSUPPORTED_VERSION: 4, CANCEL: 5, INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7, STREAM_IN_USE: 8, STREAM_ALREADY_CLOSED: 9, FRAME_TOO_LARGE: 11,
} as const;

export const Type = { SYN_STREAM: 1, SYN_REPLY: 2, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, HEADERS: 8, WINDOW_UPDATE: 9 } as const;
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;
export const SETTINGS_INITIAL_WINDOW_SIZE = 7;
export const DEFAULT_WINDOW = 64 * 1024;
export const MAX_WINDOW = 0x7fffffff;

/** the SPDY/3 header compression dictionary: length-prefixed header names and values, then a literal tail */
export const SPDY3_DICTIONARY: Buffer = (() => {
  const words = ('options head post put delete trace accept accept-charset accept-encoding accept-language accept-ranges age allow '
    + 'authorization cache-control connection content-base content-encoding content-language content-length content-location '
    + 'content-md5 content-range content-type date etag expect expires from host if-match if-modified-since if-none-match '
    + 'if-range if-unmodified-since last-modified location max-forwards pragma proxy-authenticate proxy-authorization range '
    + 'referer retry-after server te trailer transfer-encoding upgrade user-agent vary via warning www-authenticate method get '
    + 'status 200_OK version HTTP/1.1 url public set-cookie keep-alive origin').split(' ').map((w) => w.replace('_', ' '));
  const tail = '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505'
    + '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized403 Forbidden'
    + '404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable'
    + 'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT'
    + 'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,'
    + 'publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';
  const parts: Buffer[] = [];
  for (const w of words) parts.push(u32(w.length), Buffer.from(w, 'latin1'));
  parts.push(Buffer.from(tail, 'latin1'));
  return Buffer.concat(parts);
})();

export function u32(n: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; }

function adler32(buf: Buffer): number {
  let a = 1, b = 0;
  for (let i = 0; i < buf.length; i++) { a = (a + buf[i]) % 65521; b = (b + a) % 65521; }
  return ((b << 16) | a) >>> 0;
}

/** the uncompressed name/value block (names lowercased: spdystream rejects others) */
export function encodeHeaderBlock(h: SpdyHeaders): Buffer {
  const entries = Object.entries(h).filter(([, v]) => v !== undefined);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [k, v] of entries) {
    const name = Buffer.from(k.toLowerCase(), 'utf8');
    const value = Buffer.from(Array.isArray(v) ? v.join('\0') : String(v), 'utf8');
    parts.push(u32(name.length), name, u32(value.length), value);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(b: Buffer): SpdyHeaders {
  const out: SpdyHeaders = {};
  let off = 0;
  const need = (n: number) => { if (off + n > b.length) throw new Error('spdy: truncated header block'); };
  need(4);
  const count = b.readUInt32BE(0);
  off = 4;
  for (let i = 0; i < count; i++) {
    need(4); const nl = b.readUInt32BE(off); off += 4;
    need(nl); const name = b.toString('utf8', off, off + nl).toLowerCase(); off += nl;
    need(4); const vl = b.readUInt32BE(off); off += 4;
    need(vl); const values = b.toString('utf8', off, off + vl).split('\0'); off += vl;
    const prev = out[name];
    const all = prev === undefined ? values : [...(Array.isArray(prev) ? prev : [prev]), ...values];
    out[name] = all.length === 1 ? all[0] : all;
  }
  return out;
}

/** one value of a header, case-insensitively (the first of several) */
export function headerValue(h: SpdyHeaders, name: string): string | undefined {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * compressing side of a session's header context: the zlib header with the dictionary's id, then
 * per block its bytes as stored blocks and an empty stored block, which is what a Z_SYNC_FLUSH
 * ends with: Go's flate reader hands out a block's data only at that marker (or it reads on into
 * the next frame, and the session breaks).
 */
export class HeaderDeflater {
  private started = false;
  compress(raw: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      // CMF 0x78 (deflate, 32K window), FLG 0x20 (FDICT; 0x7820 % 31 == 0), DICTID
      parts.push(Buffer.from([0x78, 0x20]), u32(adler32(SPDY3_DICTIONARY)));
    }
    for (let off = 0; off < raw.length; off += 0xffff) parts.push(storedBlock(raw.subarray(off, off + 0xffff)));
    parts.push(storedBlock(Buffer.alloc(0)));
    return Buffer.concat(parts);
  }
}

/** BFINAL=0, BTYPE=00 (stored) padded to the byte boundary, LEN, NLEN, the bytes */
function storedBlock(chunk: Buffer): Buffer {
  const hdr = Buffer.alloc(5);
  hdr.writeUInt16LE(chunk.length, 1);
  hdr.writeUInt16LE(~chunk.length & 0xffff, 3);
  return Buffer.concat([hdr, chunk]);
}

/** decompressing side: one Inflate for the session; each block is flushed with Z_SYNC_FLUSH */
export class HeaderInflater {
  private z = zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
  private out: Buffer[] = [];
  private err?: Error;
  constructor() {
    this.z.on('data', (d: Buffer) => this.out.push(d));
    this.z.on('error', (e) => { this.err = e; });
  }
  inflate(block: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      if (this.err) { reject(this.err); return; }
      this.z.write(block);
      this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        if (this.err) { reject(this.err); return; }
        for (let c = this.z.read() as Buffer | null; c; c = this.z.read() as Buffer | null) this.out.push(c);
        const r = Buffer.concat(this.out);
        this.out = [];
        resolve(r);
      });
    });
  }
  close(): void { this.z.close(); }
}

export function controlFrame(type: number, flags: number, body: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | 3, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(((flags & 0xff) << 24 | body.length) >>> 0, 4);
  return Buffer.concat([h, body]);
}

export function dataFrame(id: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(id & 0x7fffffff, 0);
  h.writeUInt32BE(((flags & 0xff) << 24 | payload.length) >>> 0, 4);
  return payload.length ? Buffer.concat([h, payload]) : h;
}

export function ids(...n: number[]): Buffer {
  const b = Buffer.alloc(4 * n.length);
  n.forEach((v, i) => b.writeUInt32BE(v >>> 0, 4 * i));
  return b;
}

/** a growing byte queue for frame parsing without re-concatenating whole buffers */
export class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void { if (b.length) { this.chunks.push(b); this.length += b.length; } }
  /** the first n bytes as one buffer, without consuming them */
  peek(n: number): Buffer {
    if (this.chunks[0].length < n) {
      let k = 0;
      for (let got = 0; got < n; k++) got += this.chunks[k].length;
      this.chunks.splice(0, k, Buffer.concat(this.chunks.slice(0, k)));
    }
    return this.chunks[0].subarray(0, n);
  }
  take(n: number): Buffer {
    const b = this.peek(n);
    if (this.chunks[0].length === n) this.chunks.shift();
    else this.chunks[0] = this.chunks[0].subarray(n);
    this.length -= n;
    return b;
  }
}
