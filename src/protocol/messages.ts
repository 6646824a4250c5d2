// Wire formats of the four WireGuard messages (whitepaper §5.4; kernel messages.h). All integers
// are little-endian; the first byte is the type and the next three are reserved zero, so the type
// is checked as one 32-bit word as the kernel does. Decoders never throw: they return a tagged
// result, and their byte fields are views into the input (no copy).
import {
  AEAD_TAG_LENGTH,
  COOKIE_NONCE_LENGTH,
  DATA_HEADER_LENGTH,
  DATA_MIN_LENGTH,
  HANDSHAKE_COOKIE_LENGTH,
  HANDSHAKE_INITIATION_LENGTH,
  HANDSHAKE_RESPONSE_LENGTH,
  KEY_LENGTH,
  MAC_LENGTH,
  MESSAGE_DATA,
  MESSAGE_HANDSHAKE_COOKIE,
  MESSAGE_HANDSHAKE_INITIATION,
  MESSAGE_HANDSHAKE_RESPONSE,
  TIMESTAMP_LENGTH,
} from './constants.js';

export interface HandshakeInitiation {
  senderIndex: number;
  /** Unencrypted ephemeral public key, 32 bytes. */
  ephemeral: Uint8Array;
  /** AEAD of the initiator's static public key, 48 bytes. */
  encryptedStatic: Uint8Array;
  /** AEAD of the TAI64N timestamp, 28 bytes. */
  encryptedTimestamp: Uint8Array;
  mac1: Uint8Array;
  mac2: Uint8Array;
}

export interface HandshakeResponse {
  senderIndex: number;
  receiverIndex: number;
  ephemeral: Uint8Array;
  /** AEAD of the empty string, 16 bytes. */
  encryptedNothing: Uint8Array;
  mac1: Uint8Array;
  mac2: Uint8Array;
}

export interface CookieReply {
  receiverIndex: number;
  nonce: Uint8Array;
  /** XAEAD of the 16-byte cookie, 32 bytes. */
  encryptedCookie: Uint8Array;
}

export interface DataHeader {
  receiverIndex: number;
  counter: bigint;
}

export type DecodeFailure = 'empty' | 'truncated' | 'oversized' | 'unknownType' | 'wrongType';
export type Decoded<T> = { ok: true; message: T } | { ok: false; reason: DecodeFailure };

/** Byte offsets of the MACs; mac1 covers everything before it, mac2 everything before mac2. */
export const INITIATION_MAC1_OFFSET = 116;
export const RESPONSE_MAC1_OFFSET = 60;

const ENCRYPTED_STATIC_LENGTH = KEY_LENGTH + AEAD_TAG_LENGTH;
const ENCRYPTED_TIMESTAMP_LENGTH = TIMESTAMP_LENGTH + AEAD_TAG_LENGTH;

export type MessageKind = 'initiation' | 'response' | 'cookie' | 'data';

const KIND_BY_TYPE: Record<number, MessageKind> = {
  [MESSAGE_HANDSHAKE_INITIATION]: 'initiation',
  [MESSAGE_HANDSHAKE_RESPONSE]: 'response',
  [MESSAGE_HANDSHAKE_COOKIE]: 'cookie',
  [MESSAGE_DATA]: 'data',
};

function typeWord(packet: Uint8Array): number {
  return (packet[0] | (packet[1] << 8) | (packet[2] << 16) | (packet[3] << 24)) >>> 0;
}

/** The message kind of a packet, or why it has none. */
export function messageKind(packet: Uint8Array): { ok: true; kind: MessageKind } | { ok: false; reason: DecodeFailure } {
  if (packet.length === 0) return { ok: false, reason: 'empty' };
  if (packet.length < 4) return { ok: false, reason: 'truncated' };
  const kind = KIND_BY_TYPE[typeWord(packet)];
  return kind ? { ok: true, kind } : { ok: false, reason: 'unknownType' };
}

function check(packet: Uint8Array, type: number, length: number, exact: boolean): DecodeFailure | undefined {
  if (packet.length === 0) return 'empty';
  if (packet.length < 4) return 'truncated';
  if (typeWord(packet) !== type) return KIND_BY_TYPE[typeWord(packet)] ? 'wrongType' : 'unknownType';
  if (packet.length < length) return 'truncated';
  if (exact && packet.length > length) return 'oversized';
  return undefined;
}

const u32 = (p: Uint8Array, o: number): number => (p[o] | (p[o + 1] << 8) | (p[o + 2] << 16) | (p[o + 3] << 24)) >>> 0;

function putU32(p: Uint8Array, o: number, v: number): void {
  p[o] = v & 0xff;
  p[o + 1] = (v >>> 8) & 0xff;
  p[o + 2] = (v >>> 16) & 0xff;
  p[o + 3] = (v >>> 24) & 0xff;
}

function putBytes(p: Uint8Array, o: number, bytes: Uint8Array, length: number, name: string): void {
  if (bytes.length !== length) throw new RangeError(`${name} must be ${length} bytes, got ${bytes.length}`);
  p.set(bytes, o);
}

export function encodeInitiation(m: HandshakeInitiation): Uint8Array {
  const p = new Uint8Array(HANDSHAKE_INITIATION_LENGTH);
  putU32(p, 0, MESSAGE_HANDSHAKE_INITIATION);
  putU32(p, 4, m.senderIndex);
  putBytes(p, 8, m.ephemeral, KEY_LENGTH, 'ephemeral');
  putBytes(p, 40, m.encryptedStatic, ENCRYPTED_STATIC_LENGTH, 'encryptedStatic');
  putBytes(p, 88, m.encryptedTimestamp, ENCRYPTED_TIMESTAMP_LENGTH, 'encryptedTimestamp');
  putBytes(p, INITIATION_MAC1_OFFSET, m.mac1, MAC_LENGTH, 'mac1');
  putBytes(p, INITIATION_MAC1_OFFSET + MAC_LENGTH, m.mac2, MAC_LENGTH, 'mac2');
  return p;
}

export function decodeInitiation(p: Uint8Array): Decoded<HandshakeInitiation> {
  const reason = check(p, MESSAGE_HANDSHAKE_INITIATION, HANDSHAKE_INITIATION_LENGTH, true);
  if (reason) return { ok: false, reason };
  return {
    ok: true,
    message: {
      senderIndex: u32(p, 4),
      ephemeral: p.subarray(8, 40),
      encryptedStatic: p.subarray(40, 88),
      encryptedTimestamp: p.subarray(88, 116),
      mac1: p.subarray(116, 132),
      mac2: p.subarray(132, 148),
    },
  };
}

export function encodeResponse(m: HandshakeResponse): Uint8Array {
  const p = new Uint8Array(HANDSHAKE_RESPONSE_LENGTH);
  putU32(p, 0, MESSAGE_HANDSHAKE_RESPONSE);
  putU32(p, 4, m.senderIndex);
  putU32(p, 8, m.receiverIndex);
  putBytes(p, 12, m.ephemeral, KEY_LENGTH, 'ephemeral');
  putBytes(p, 44, m.encryptedNothing, AEAD_TAG_LENGTH, 'encryptedNothing');
  putBytes(p, RESPONSE_MAC1_OFFSET, m.mac1, MAC_LENGTH, 'mac1');
  putBytes(p, RESPONSE_MAC1_OFFSET + MAC_LENGTH, m.mac2, MAC_LENGTH, 'mac2');
  return p;
}

export function decodeResponse(p: Uint8Array): Decoded<HandshakeResponse> {
  const reason = check(p, MESSAGE_HANDSHAKE_RESPONSE, HANDSHAKE_RESPONSE_LENGTH, true);
  if (reason) return { ok: false, reason };
  return {
    ok: true,
    message: {
      senderIndex: u32(p, 4),
      receiverIndex: u32(p, 8),
      ephemeral: p.subarray(12, 44),
      encryptedNothing: p.subarray(44, 60),
      mac1: p.subarray(60, 76),
      mac2: p.subarray(76, 92),
    },
  };
}

export function encodeCookieReply(m: CookieReply): Uint8Array {
  const p = new Uint8Array(HANDSHAKE_COOKIE_LENGTH);
  putU32(p, 0, MESSAGE_HANDSHAKE_COOKIE);
  putU32(p, 4, m.receiverIndex);
  putBytes(p, 8, m.nonce, COOKIE_NONCE_LENGTH, 'nonce');
  putBytes(p, 32, m.encryptedCookie, MAC_LENGTH + AEAD_TAG_LENGTH, 'encryptedCookie');
  return p;
}

export function decodeCookieReply(p: Uint8Array): Decoded<CookieReply> {
  const reason = check(p, MESSAGE_HANDSHAKE_COOKIE, HANDSHAKE_COOKIE_LENGTH, true);
  if (reason) return { ok: false, reason };
  return { ok: true, message: { receiverIndex: u32(p, 4), nonce: p.subarray(8, 32), encryptedCookie: p.subarray(32, 64) } };
}

export function encodeDataHeader(h: DataHeader): Uint8Array {
  const p = new Uint8Array(DATA_HEADER_LENGTH);
  putU32(p, 0, MESSAGE_DATA);
  putU32(p, 4, h.receiverIndex);
  new DataView(p.buffer).setBigUint64(8, h.counter, true);
  return p;
}

/** A data message's header; the encrypted payload is the rest, at least one AEAD tag long. */
export function decodeDataHeader(p: Uint8Array): Decoded<DataHeader & { encrypted: Uint8Array }> {
  const reason = check(p, MESSAGE_DATA, DATA_MIN_LENGTH, false);
  if (reason) return { ok: false, reason };
  const counter = new DataView(p.buffer, p.byteOffset, p.byteLength).getBigUint64(8, true);
  return { ok: true, message: { receiverIndex: u32(p, 4), counter, encrypted: p.subarray(DATA_HEADER_LENGTH) } };
}
