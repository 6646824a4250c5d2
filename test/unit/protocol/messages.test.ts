import assert from 'node:assert/strict';
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
} from '../../../src/protocol/messages.js';
import { tai64n, tai64nAfter } from '../../../src/protocol/tai64n.js';

const fill = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);

describe('protocol messages', () => {
  it('round-trips a handshake initiation (148 bytes)', () => {
    const m = { senderIndex: 0xdeadbeef, ephemeral: fill(32, 1), encryptedStatic: fill(48, 2), encryptedTimestamp: fill(28, 3), mac1: fill(16, 4), mac2: fill(16, 5) };
    const p = encodeInitiation(m);
    assert.equal(p.length, 148);
    assert.deepEqual([...p.subarray(0, 8)], [1, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde]);
    const d = decodeInitiation(p);
    assert.ok(d.ok);
    assert.deepEqual({ ...d.message }, m);
  });

  it('round-trips a response (92 bytes), a cookie reply (64 bytes) and a data header (16 bytes)', () => {
    const r = { senderIndex: 1, receiverIndex: 2, ephemeral: fill(32, 6), encryptedNothing: fill(16, 7), mac1: fill(16, 8), mac2: fill(16, 9) };
    const rp = encodeResponse(r);
    assert.equal(rp.length, 92);
    const rd = decodeResponse(rp);
    assert.ok(rd.ok);
    assert.deepEqual({ ...rd.message }, r);
    const c = { receiverIndex: 3, nonce: fill(24, 1), encryptedCookie: fill(32, 2) };
    const cp = encodeCookieReply(c);
    assert.equal(cp.length, 64);
    const cd = decodeCookieReply(cp);
    assert.ok(cd.ok);
    assert.deepEqual({ ...cd.message }, c);
    const h = encodeDataHeader({ receiverIndex: 4, counter: (1n << 64n) - 1n });
    assert.equal(h.length, 16);
    const packet = new Uint8Array(32);
    packet.set(h);
    const hd = decodeDataHeader(packet);
    assert.ok(hd.ok);
    assert.equal(hd.message.counter, (1n << 64n) - 1n);
    assert.equal(hd.message.receiverIndex, 4);
    assert.equal(hd.message.encrypted.length, 16);
  });

  it('classifies and rejects malformed input with a reason, never throwing', () => {
    const init = encodeInitiation({ senderIndex: 1, ephemeral: fill(32, 0), encryptedStatic: fill(48, 0), encryptedTimestamp: fill(28, 0), mac1: fill(16, 0), mac2: fill(16, 0) });
    assert.deepEqual(decodeInitiation(new Uint8Array(0)), { ok: false, reason: 'empty' });
    assert.deepEqual(decodeInitiation(init.subarray(0, 3)), { ok: false, reason: 'truncated' });
    assert.deepEqual(decodeInitiation(init.subarray(0, 147)), { ok: false, reason: 'truncated' });
    const big = new Uint8Array(149);
    big.set(init);
    assert.deepEqual(decodeInitiation(big), { ok: false, reason: 'oversized' });
    assert.deepEqual(decodeResponse(init), { ok: false, reason: 'wrongType' });
    const reserved = Uint8Array.from(init);
    reserved[1] = 1;
    assert.deepEqual(decodeInitiation(reserved), { ok: false, reason: 'unknownType' });
    assert.deepEqual(messageKind(reserved), { ok: false, reason: 'unknownType' });
    assert.deepEqual(messageKind(Uint8Array.of(4, 0, 0, 0)), { ok: true, kind: 'data' });
    assert.deepEqual(decodeDataHeader(new Uint8Array(31).fill(0).map((_, i) => (i === 0 ? 4 : 0))), { ok: false, reason: 'truncated' });
    assert.throws(() => encodeInitiation({ senderIndex: 1, ephemeral: fill(31, 0), encryptedStatic: fill(48, 0), encryptedTimestamp: fill(28, 0), mac1: fill(16, 0), mac2: fill(16, 0) }), RangeError);
  });

  it('makes whitened, ordered TAI64N timestamps', () => {
    const t = tai64n(1_700_000_000_123);
    assert.equal(t.length, 12);
    const view = new DataView(t.buffer);
    assert.equal(view.getBigUint64(0), (1n << 62n) + 10n + 1_700_000_000n);
    const nanos = view.getUint32(8);
    assert.equal(nanos % (1 << 24), 0, 'rounded down to 2^24 ns');
    assert.ok(nanos <= 123_000_000 && nanos > 123_000_000 - (1 << 24));
    assert.deepEqual(tai64n(1_700_000_000_124), t, 'within one whitening step');
    assert.ok(tai64nAfter(tai64n(1_700_000_000_200), t));
    assert.ok(!tai64nAfter(t, t));
    assert.ok(!tai64nAfter(t, tai64n(1_700_000_001_000)));
  });
});
