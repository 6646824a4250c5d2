import assert from 'node:assert/strict';
import { PREFIX_ENTRY_BYTES, PrefixBatch } from '../../src/native/prefix-batch.js';
import { maskPrefix, parsePrefix } from '../../src/net/ip.js';

describe('PrefixBatch', () => {
  it('packs entries in the 22-byte layout (family, cidr, 16 address bytes, u32 LE peer), host bits cleared', () => {
    const batch = new PrefixBatch(1).add('192.0.2.1/24', 0x01020304).add('2001:db8::/32', 0xffffffff);
    assert.equal(batch.length, 2);
    assert.equal(batch.bytes.length, 2 * PREFIX_ENTRY_BYTES);
    assert.deepEqual(
      Array.from(batch.bytes.subarray(0, 22)),
      [4, 24, 192, 0, 2, 0, ...new Array(12).fill(0), 4, 3, 2, 1],
    );
    assert.deepEqual(Array.from(batch.bytes.subarray(22, 28)), [6, 32, 0x20, 0x01, 0x0d, 0xb8]);
    assert.deepEqual(Array.from(batch.bytes.subarray(40, 44)), [0xff, 0xff, 0xff, 0xff]);
  });

  it('grows past its initial capacity and reads back what it packed', () => {
    const batch = new PrefixBatch(1);
    for (let i = 0; i < 1000; i++) batch.add({ family: 4, bytes: Uint8Array.of(10, i >> 8, i & 0xff, 1), cidr: 32 }, i + 1);
    assert.equal(batch.length, 1000);
    const entries = [...batch.entries()];
    assert.deepEqual(entries[999], { prefix: { family: 4, bytes: Uint8Array.of(10, 3, 231, 1), cidr: 32 }, peer: 1000 });
    const copy = PrefixBatch.fromBytes(batch.bytes);
    assert.deepEqual([...copy.entries()], entries);
    batch.clear();
    assert.equal(batch.length, 0);
    assert.equal(batch.bytes.length, 0);
  });

  it('rejects bad prefixes, peers and packed data', () => {
    const batch = new PrefixBatch();
    assert.throws(() => batch.add('10.0.0.0/33', 1), RangeError);
    assert.throws(() => batch.add('10.0.0.0/8', 0), RangeError);
    assert.throws(() => batch.add('10.0.0.0/8', '1' as never), TypeError);
    assert.throws(() => batch.add(undefined as never, 1), TypeError);
    assert.equal(batch.length, 0);
    assert.throws(() => PrefixBatch.fromBytes(new Uint8Array(21)), RangeError);
    assert.throws(() => PrefixBatch.fromBytes(new Uint8Array(22)), RangeError); // family 0
    assert.throws(() => PrefixBatch.fromBytes([] as never), TypeError);
    assert.throws(() => new PrefixBatch(0), RangeError);
    assert.throws(() => batch.entry(0), RangeError);
  });
});

describe('PrefixBatch text paths', () => {
  it('reads prefixes from text and from bytes in place exactly as parsePrefix does, non-ASCII included', () => {
    const samples = ['10.0.0.0/8', '1.2.3.4/32', '1.2.3.4/Ĳ', '1.2.3.Ĵ/8', '１.2.3.4/8', '01.2.3.4/8', '1.2.3.4/08', 'fd00::/8', '::ffff:1.2.3.4/128', '1.2.3.4', ''];
    for (const text of samples) {
      const fromText = new PrefixBatch();
      const fromBytes = new PrefixBatch();
      const bytes = Buffer.from(`xx${text}yy`);
      const expected = parsePrefix(text);
      assert.equal(fromText.pushText(text), expected !== undefined, text);
      assert.equal(fromBytes.pushBytes(bytes, 2, bytes.length - 2), expected !== undefined, text);
      if (expected) {
        assert.deepEqual(fromText.prefixAt(0), maskPrefix(expected), text);
        assert.deepEqual(fromBytes.prefixAt(0), maskPrefix(expected), text);
      }
    }
  });
});
