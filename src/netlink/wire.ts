// Netlink wire primitives: a growable writer for messages and their rtattr/nlattr attributes
// (4-byte aligned, nestable), and readers for attributes and host-order integers. Netlink
// integers are in the host's byte order unless an attribute says otherwise.
import { endianness } from 'node:os';
import { NLA_TYPE_MASK } from './constants.js';

export const HOST_LE = endianness() === 'LE';
export const NLMSG_HDRLEN = 16;
export const NLA_HDRLEN = 4;

export function align4(n: number): number {
  return (n + 3) & ~3;
}

function checkRange(v: number, min: number, max: number, kind: string): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`netlink: ${v} is not a valid ${kind}`);
}

/** Every integer written is range-checked: a bad field is a RangeError, never a wrapped value. */
export class WireWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private len = 0;

  get length(): number {
    return this.len;
  }

  private reserve(n: number): number {
    const at = this.len;
    if (at + n > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, at + n));
      grown.set(this.buf.subarray(0, at));
      this.buf = grown;
      this.view = new DataView(grown.buffer);
    }
    this.len += n;
    return at;
  }

  // reserve() may replace buf and view, so every writer reserves before touching them.
  u8(v: number): this {
    checkRange(v, 0, 0xff, 'u8');
    const at = this.reserve(1);
    this.view.setUint8(at, v);
    return this;
  }

  u16(v: number): this {
    checkRange(v, 0, 0xffff, 'u16');
    const at = this.reserve(2);
    this.view.setUint16(at, v, HOST_LE);
    return this;
  }

  u32(v: number): this {
    checkRange(v, 0, 0xffffffff, 'u32');
    const at = this.reserve(4);
    this.view.setUint32(at, v, HOST_LE);
    return this;
  }

  s32(v: number): this {
    checkRange(v, -0x80000000, 0x7fffffff, 's32');
    const at = this.reserve(4);
    this.view.setInt32(at, v, HOST_LE);
    return this;
  }

  bytes(data: Uint8Array): this {
    const at = this.reserve(data.length);
    this.buf.set(data, at);
    return this;
  }

  /** Zero bytes up to the next multiple of 4. */
  align(): this {
    this.reserve(align4(this.len) - this.len);
    return this;
  }

  patchU16(at: number, v: number): void {
    this.view.setUint16(at, v, HOST_LE);
  }

  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, HOST_LE);
  }

  /** An attribute whose payload the callback writes; the header's length is patched after. */
  attr(type: number, write: (w: this) => void): this {
    const start = this.len;
    this.u16(0).u16(type);
    write(this);
    this.patchU16(start, this.len - start);
    return this.align();
  }

  attrBytes(type: number, data: Uint8Array): this {
    return this.attr(type, (w) => w.bytes(data));
  }

  attrU8(type: number, v: number): this {
    return this.attr(type, (w) => w.u8(v));
  }

  attrU16(type: number, v: number): this {
    return this.attr(type, (w) => w.u16(v));
  }

  attrU32(type: number, v: number): this {
    return this.attr(type, (w) => w.u32(v));
  }

  /** A NUL-terminated string, as IFLA_IFNAME, FRA_IIFNAME and IFA_LABEL expect. */
  attrString(type: number, s: string): this {
    return this.attr(type, (w) => w.bytes(new TextEncoder().encode(s)).u8(0));
  }

  /** A netlink message: header (length patched after), then the callback's body. */
  message(type: number, flags: number, seq: number, write: (w: this) => void): this {
    const start = this.len;
    this.u32(0).u16(type).u16(flags).u32(seq).u32(0);
    write(this);
    this.align();
    this.patchU32(start, this.len - start);
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

export interface Attribute {
  /** The type without the NLA_F_NESTED / NLA_F_NET_BYTEORDER bits. */
  type: number;
  /** The payload, a view into the received datagram. */
  data: Uint8Array;
}

/** Splits a run of attributes. Throws on a length that runs past the end. */
export function parseAttributes(data: Uint8Array): Attribute[] {
  const out: Attribute[] = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let off = 0;
  while (off + NLA_HDRLEN <= data.length) {
    const len = view.getUint16(off, HOST_LE);
    const type = view.getUint16(off + 2, HOST_LE) & NLA_TYPE_MASK;
    if (len < NLA_HDRLEN || off + len > data.length) {
      throw new Error(`netlink: malformed attribute (type ${type}, length ${len}) at offset ${off}`);
    }
    out.push({ type, data: data.subarray(off + NLA_HDRLEN, off + len) });
    off += align4(len);
  }
  return out;
}

/** Attributes by type; the last one wins when a type repeats. */
export function attributeMap(data: Uint8Array): Map<number, Uint8Array> {
  const map = new Map<number, Uint8Array>();
  for (const a of parseAttributes(data)) map.set(a.type, a.data);
  return map;
}

function viewOf(data: Uint8Array): DataView {
  return new DataView(data.buffer, data.byteOffset, data.byteLength);
}

function need(data: Uint8Array, n: number, what: string): void {
  if (data.length < n) throw new Error(`netlink: ${what} needs ${n} bytes, got ${data.length}`);
}

export function readU8(data: Uint8Array): number {
  need(data, 1, 'u8 attribute');
  return data[0];
}

export function readU16(data: Uint8Array, offset = 0): number {
  need(data, offset + 2, 'u16 field');
  return viewOf(data).getUint16(offset, HOST_LE);
}

export function readU32(data: Uint8Array, offset = 0): number {
  need(data, offset + 4, 'u32 field');
  return viewOf(data).getUint32(offset, HOST_LE);
}

export function readS32(data: Uint8Array, offset = 0): number {
  need(data, offset + 4, 's32 field');
  return viewOf(data).getInt32(offset, HOST_LE);
}

/** A NUL-terminated (or unterminated) string attribute. */
export function readString(data: Uint8Array): string {
  const nul = data.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? data : data.subarray(0, nul));
}
