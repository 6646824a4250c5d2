import assert from 'node:assert/strict';
import { NLA_F_NESTED } from '../../src/netlink/constants.js';
import { splitMessages } from '../../src/netlink/message.js';
import { attributeMap, parseAttributes, readString, readU32, WireWriter } from '../../src/netlink/wire.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('netlink wire format', () => {
  it('pads a string attribute to 4 bytes but records its true length', () => {
    const out = new WireWriter().attrString(3, 'lo').finish();
    assert.equal(hex(out), '070003006c6f0000');
  });

  it('writes a nested attribute whose length covers its children', () => {
    const out = new WireWriter().attr(8, (w) => w.attrU32(2, 1420)).finish();
    assert.equal(hex(out), '0c000800080002008c050000');
  });

  it('patches the message length and aligns the body', () => {
    const out = new WireWriter().message(18, 0x301, 7, (w) => w.u8(0)).finish();
    assert.equal(hex(out), '140000001200010307000000000000000000' + '0000');
    assert.equal(out.length, 20);
  });

  it('grows past its initial buffer', () => {
    const big = new Uint8Array(1000).fill(0xab);
    const out = new WireWriter().attrBytes(1, big).attrU8(2, 9).finish();
    assert.equal(out.length, 1004 + 8);
    const attrs = parseAttributes(out);
    assert.deepEqual(attrs.map((a) => [a.type, a.data.length]), [
      [1, 1000],
      [2, 1],
    ]);
    assert.equal(attrs[1].data[0], 9);
  });

  it('strips the nested and byte-order flags from attribute types', () => {
    const out = new WireWriter().attr(18 | NLA_F_NESTED, (w) => w.attrString(1, 'veth')).finish();
    const [info] = parseAttributes(out);
    assert.equal(info.type, 18);
    assert.equal(readString(attributeMap(info.data).get(1) as Uint8Array), 'veth');
  });

  it('rejects an attribute running past the end', () => {
    assert.throws(() => parseAttributes(Uint8Array.from([0x10, 0, 1, 0, 0, 0, 0, 0])), /malformed attribute \(type 1, length 16\)/);
    assert.throws(() => parseAttributes(Uint8Array.from([2, 0, 1, 0])), /malformed attribute/);
  });

  it('splits a datagram holding several messages', () => {
    const w = new WireWriter();
    w.message(24, 2, 5, (m) => m.u32(0xdeadbeef));
    w.message(3, 2, 5, (m) => m.u32(0));
    const messages = splitMessages(w.finish());
    assert.deepEqual(
      messages.map((m) => [m.type, m.flags, m.seq, m.payload.length]),
      [
        [24, 2, 5, 4],
        [3, 2, 5, 4],
      ],
    );
    assert.equal(readU32(messages[0].payload), 0xdeadbeef);
  });

  it('rejects a message whose length is impossible', () => {
    const bytes = new WireWriter().message(24, 0, 1, (w) => w.u32(0)).finish();
    bytes[0] = 64;
    assert.throws(() => splitMessages(bytes), /malformed message \(length 64\)/);
    bytes[0] = 8;
    assert.throws(() => splitMessages(bytes), /malformed message \(length 8\)/);
  });
});
