import assert from 'node:assert/strict';
import { formatPrefix, maskPrefix, parsePrefix } from '../../src/net/ip.js';
import { PREFIX_ENTRY_BYTES, PrefixBatch } from '../../src/native/prefix-batch.js';

describe('uapi/prefix-batch', () => {
  it('packs the 22-byte layout with host bits cleared', () => {
    const batch = new PrefixBatch(1);
    batch.push(parsePrefix('10.1.2.3/12')!, 7);
    batch.push(parsePrefix('fd12:3456:789a::1/33')!, 0x01020304);
    const bytes = batch.bytes;
    assert.equal(bytes.length, 2 * PREFIX_ENTRY_BYTES);
    assert.deepEqual([...bytes.subarray(0, 22)], [4, 12, 10, 0, 0, 0, ...new Array(12).fill(0), 7, 0, 0, 0]);
    assert.deepEqual([...bytes.subarray(22, 44)], [6, 33, 0xfd, 0x12, 0x34, 0x56, 0x00, ...new Array(11).fill(0), 4, 3, 2, 1]);
    assert.deepEqual([...batch].map(formatPrefix), ['10.0.0.0/12', 'fd12:3456::/33']);
    assert.equal(batch.peerIdAt(1), 0x01020304);
  });

  it('grows and stamps peer ids', () => {
    const batch = new PrefixBatch(1);
    for (let i = 0; i < 1000; i++) batch.push(parsePrefix(`10.0.${i >> 8}.${i & 255}/32`)!);
    assert.equal(batch.length, 1000);
    batch.setPeerId(42);
    for (let i = 0; i < 1000; i++) assert.equal(batch.peerIdAt(i), 42);
    assert.equal(formatPrefix(batch.prefixAt(999)), '10.0.3.231/32');
    assert.throws(() => batch.prefixAt(1000), RangeError);
    assert.throws(() => batch.setPeerId(-1), RangeError);
    assert.throws(() => batch.push({ family: 4, bytes: new Uint8Array(4), cidr: 33 }), RangeError);
  });

  it('reads and writes prefix text exactly as parsePrefix/formatPrefix do (fast IPv4 paths included)', () => {
    const pieces = ['0', '1', '9', '10', '01', '00', '255', '256', '999', '1000', '', 'a', '-1', ' 1'];
    const cidrs = ['', '/0', '/8', '/32', '/33', '/08', '/032', '/', '/x', '/1 ', '/100'];
    const samples = ['::/0', 'fd00::1/64', '::ffff:1.2.3.4/120', '1.2.3.4', '1.2.3', '1.2.3.4.5/8', '1..3.4/8', '1.2.3.4/8/8', 'fe80::1%eth0/64', ''];
    let seed = 7;
    const pick = <T>(list: T[]) => list[(seed = (seed * 1103515245 + 12345) % 2147483648) % list.length];
    for (let i = 0; i < 20000; i++) {
      samples.push(`${pick(pieces)}.${pick(pieces)}.${pick(pieces)}.${pick(pieces)}${pick(cidrs)}`);
    }
    for (let i = 0; i < 5000; i++) {
      const octets = [0, 0, 0, 0].map(() => (seed = (seed * 1103515245 + 12345) % 2147483648) % 256);
      samples.push(`${octets.join('.')}/${seed % 33}`);
    }
    for (const text of samples) {
      const batch = new PrefixBatch(1);
      const expected = parsePrefix(text);
      assert.equal(batch.pushText(text, 9), expected !== undefined, text);
      if (!expected) continue;
      const reference = new PrefixBatch(1);
      reference.push(maskPrefix(expected), 9);
      assert.deepEqual(batch.bytes, reference.bytes, text);
      assert.equal(batch.formatAt(0), formatPrefix(maskPrefix(expected)), text);
    }
  });
});
