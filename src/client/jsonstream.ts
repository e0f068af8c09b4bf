// Splits a stream of concatenated JSON objects (a watch response body) into parsed values.
// Objects may be separated by newlines or nothing at all, and may be split across chunks.

/** Incremental splitter: push chunks, get back the complete top-level objects seen so far. */
export class JsonObjectSplitter {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;   // index in buf of the open object's '{'
  private scanned = 0;  // chars of buf already scanned
  private decoder = new TextDecoder();

  push(chunk: Uint8Array | string): unknown[] {
    this.buf += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const out: unknown[] = [];
    const buf = this.buf;
    for (let i = this.scanned; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c /* \ */) this.escaped = true;
        else if (c === 0x22 /* " */) this.inString = false;
        continue;
      }
      if (c === 0x22) { this.inString = true; continue; }
      if (c === 0x7b /* { */) { if (this.depth++ === 0) this.start = i; continue; }
      if (c === 0x7d /* } */ && this.depth > 0 && --this.depth === 0) {
        out.push(JSON.parse(buf.slice(this.start, i + 1)));
        this.start = -1;
      }
    }
    // keep only what belongs to an unfinished object
    if (this.depth === 0) { this.buf = ''; this.scanned = 0; }
    else { this.buf = buf.slice(this.start); this.scanned = this.buf.length; this.start = 0; }
    return out;
  }

  /** true when the stream ended inside an object */
  get pending(): boolean { return this.depth > 0; }
}

export async function* jsonObjects(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<unknown> {
  const s = new JsonObjectSplitter();
  for await (const chunk of body) yield* s.push(chunk);
}
