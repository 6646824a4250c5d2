// Property tests of the handshake message codecs (fast-check): any bytes from the network decode
// to a message or to one of the documented DecodeFailure reasons, never an exception, and every
// message encodes and decodes back to itself.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  decodeCookieReply,
  decodeDataHeader,
  decodeInitiation,
  decodeResponse,
  encodeCookieReply,
  encodeDataHeader,
  encodeInitiation,
  encodeResponse,
  messageKind,
  type DecodeFailure,
} from '../../src/protocol/messages.js';

const RUNS = 2000;
const FAILURES: readonly DecodeFailure[] = ['empty', 'truncated', 'oversized', 'unknownType', 'wrongType'];
const DECODERS = { initiation: decodeInitiation, response: decodeResponse, cookie: decodeCookieReply, data: decodeDataHeader };

const u32 = fc.nat({ max: 0xffffffff });
const bytes = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
// Random bytes, often starting with a valid type (1-4, three zero bytes) and of a length near
// the message sizes (148, 92, 64, >= 32).
const packet = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.tuple(fc.integer({ min: 0, max: 5 }), fc.constantFrom(0, 1, 3, 4, 31, 32, 33, 63, 64, 65, 91, 92, 93, 147, 148, 149), fc.uint8Array({ maxLength: 160 })).map(
    ([type, length, fill]) => {
      const p = new Uint8Array(length);
      p.set(fill.subarray(0, length));
      if (length >= 4) p.set([type, 0, 0, 0]);
      return p;
    },
  ),
);

describe('protocol/messages on arbitrary bytes (property)', () => {
  it('every decoder returns a message or a documented reason, and agrees with messageKind', () => {
    fc.assert(
      fc.property(packet, (p) => {
        const kind = messageKind(p);
        if (!kind.ok) assert.ok(FAILURES.includes(kind.reason));
        for (const [name, decode] of Object.entries(DECODERS)) {
          const decoded = decode(p);
          if (!decoded.ok) assert.ok(FAILURES.includes(decoded.reason), decoded.reason);
          else assert.ok(kind.ok && kind.kind === name, `${name} decoded a ${kind.ok ? kind.kind : 'bad'} packet`);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('encode then decode gives every message back', () => {
    const initiation = fc.record({ senderIndex: u32, ephemeral: bytes(32), encryptedStatic: bytes(48), encryptedTimestamp: bytes(28), mac1: bytes(16), mac2: bytes(16) }).map((m) => ({ ...m }));
    const response = fc.record({ senderIndex: u32, receiverIndex: u32, ephemeral: bytes(32), encryptedNothing: bytes(16), mac1: bytes(16), mac2: bytes(16) }).map((m) => ({ ...m }));
    const cookie = fc.record({ receiverIndex: u32, nonce: bytes(24), encryptedCookie: bytes(32) }).map((m) => ({ ...m }));
    const data = fc.record({ receiverIndex: u32, counter: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), encrypted: fc.uint8Array({ minLength: 16, maxLength: 64 }) });
    const same = <T>(decoded: { ok: true; message: T } | { ok: false; reason: DecodeFailure }): T => {
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
      return decoded.message;
    };
    fc.assert(fc.property(initiation, (m) => assert.deepEqual(same(decodeInitiation(encodeInitiation(m))), m)), { numRuns: 500 });
    fc.assert(fc.property(response, (m) => assert.deepEqual(same(decodeResponse(encodeResponse(m))), m)), { numRuns: 500 });
    fc.assert(fc.property(cookie, (m) => assert.deepEqual(same(decodeCookieReply(encodeCookieReply(m))), m)), { numRuns: 500 });
    fc.assert(
      fc.property(data, ({ receiverIndex, counter, encrypted }) => {
        const header = encodeDataHeader({ receiverIndex, counter });
        const packetBytes = new Uint8Array(header.length + encrypted.length);
        packetBytes.set(header);
        packetBytes.set(encrypted, header.length);
        const decoded = same(decodeDataHeader(packetBytes));
        assert.deepEqual([decoded.receiverIndex, decoded.counter, Uint8Array.from(decoded.encrypted)], [receiverIndex, counter, encrypted]);
      }),
      { numRuns: 500 },
    );
  });
});
