// Splits a byte stream into lines without ever joining more than one line: a million-line
// request passes through in chunks. A line longer than the limit (wireguard-go's bufio.Scanner
// stops at 64 KiB) is reported once as OVERLONG and its bytes are dropped up to its newline.
export const OVERLONG = Symbol('overlong line');
export const MAX_LINE_BYTES = 65536;

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;

  constructor(private readonly maxLineBytes = MAX_LINE_BYTES) {}

  /**
   * Yields every line completed by chunk, without its '\n'. A line that lies whole in the chunk
   * is first offered to `consume` as bytes; when it takes it, no string is made for it.
   */
  *push(chunk: Uint8Array, consume?: (bytes: Buffer, start: number, end: number) => boolean): Generator<string | typeof OVERLONG> {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    while (start < buffer.length) {
      const newline = buffer.indexOf(10, start);
      const end = newline < 0 ? buffer.length : newline;
      if (this.discarding) {
        if (newline >= 0) this.discarding = false;
      } else if (this.pendingBytes + (end - start) > this.maxLineBytes) {
        this.pending = [];
        this.pendingBytes = 0;
        this.discarding = newline < 0;
        yield OVERLONG;
      } else if (newline < 0) {
        this.pending.push(Buffer.from(buffer.subarray(start))); // the stream may reuse its chunk
        this.pendingBytes += buffer.length - start;
      } else if (this.pending.length) {
        this.pending.push(buffer.subarray(start, end));
        const line = Buffer.concat(this.pending).toString('utf8');
        this.pending = [];
        this.pendingBytes = 0;
        yield line;
      } else if (!consume?.(buffer, start, end)) {
        yield buffer.toString('utf8', start, end);
      }
      if (newline < 0) break;
      start = newline + 1;
    }
  }

  /** Bytes of an unfinished line held back (EOF in mid-line leaves some). */
  get buffered(): number {
    return this.pendingBytes;
  }
}
