// The destination-unreachable answers the data plane writes back through its device (native/
// icmp_error.h), checked field by field against RFC 792/1812 (ICMPv4) and RFC 4443 (ICMPv6),
// with checksums recomputed here independently.
import assert from 'node:assert/strict';
import { unreachableFor, unreachableForFrame } from '../../src/native/icmp-error.js';

function checksum(...parts: Uint8Array[]): number {
  const bytes = Buffer.concat(parts);
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (i + 1 < bytes.length ? bytes[i + 1] : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipv4(options: { src?: number[]; dst?: number[]; protocol?: number; payload?: Uint8Array; fragment?: number; tos?: number }): Buffer {
  const payload = options.payload ?? Buffer.alloc(8);
  const p = Buffer.alloc(20 + payload.length);
  p[0] = 0x45;
  p[1] = options.tos ?? 0;
  p.writeUInt16BE(p.length, 2);
  p.writeUInt16BE(0x1234, 4);
  p.writeUInt16BE(options.fragment ?? 0x4000, 6);
  p[8] = 63;
  p[9] = options.protocol ?? 17;
  Buffer.from(options.src ?? [10, 0, 0, 1]).copy(p, 12);
  Buffer.from(options.dst ?? [10, 0, 0, 9]).copy(p, 16);
  p.writeUInt16BE(checksum(p.subarray(0, 20)), 10);
  Buffer.from(payload).copy(p, 20);
  return p;
}

const v6 = (text: string) => {
  const [head, tail = ''] = text.split('::');
  const groups = (s: string) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, 2 * i));
  return out;
};

function ipv6(options: { src?: string; dst?: string; next?: number; payload?: Uint8Array }): Buffer {
  const payload = options.payload ?? Buffer.alloc(8);
  const p = Buffer.alloc(40 + payload.length);
  p[0] = 0x60;
  p.writeUInt16BE(payload.length, 4);
  p[6] = options.next ?? 17;
  p[7] = 63;
  v6(options.src ?? 'fd00::1').copy(p, 8);
  v6(options.dst ?? 'fd00::9').copy(p, 24);
  Buffer.from(payload).copy(p, 40);
  return p;
}

const icmpMessage = (type: number, length = 8) => {
  const m = Buffer.alloc(length);
  m[0] = type;
  return m;
};

function icmpv6Checksum(answer: Buffer): number {
  const icmp = answer.subarray(40);
  const pseudo = Buffer.alloc(40);
  answer.copy(pseudo, 0, 8, 40);
  pseudo.writeUInt32BE(icmp.length, 32);
  pseudo[39] = 58;
  return checksum(pseudo, icmp);
}

describe('ICMP destination unreachable (IPv4)', () => {
  it('answers a UDP packet: type 3 code 1, from the unreachable destination back to the sender, header and data quoted', () => {
    const packet = ipv4({ tos: 0x10 | 0x01, payload: Buffer.from('0123456789abcdef') });
    const answer = Buffer.from(unreachableFor(packet)!);
    assert.equal(answer.length, 20 + 8 + packet.length);
    assert.equal(answer[0], 0x45);
    assert.equal(answer[1], 0xc0 | 0x10, 'precedence internetwork control, TOS bits kept, ECN cleared');
    assert.equal(answer.readUInt16BE(2), answer.length);
    assert.equal(answer.readUInt16BE(6) & 0x1fff, 0);
    assert.equal(answer[8], 64);
    assert.equal(answer[9], 1);
    assert.deepEqual([...answer.subarray(12, 16)], [10, 0, 0, 9]);
    assert.deepEqual([...answer.subarray(16, 20)], [10, 0, 0, 1]);
    assert.equal(checksum(answer.subarray(0, 20)), 0, 'IPv4 header checksum');
    const icmp = answer.subarray(20);
    assert.equal(icmp[0], 3);
    assert.equal(icmp[1], 1);
    assert.equal(icmp.readUInt32BE(4), 0);
    assert.equal(checksum(icmp), 0, 'ICMP checksum');
    assert.deepEqual(icmp.subarray(8), packet);
  });

  it('quotes at most what fits in 576 bytes (RFC 1812), and at least the header and 8 bytes', () => {
    const big = ipv4({ payload: Buffer.alloc(1400, 7) });
    const answer = Buffer.from(unreachableFor(big)!);
    assert.equal(answer.length, 576);
    assert.deepEqual(answer.subarray(28), big.subarray(0, 548));
    assert.equal(checksum(answer.subarray(20)), 0);
  });

  it('answers ICMP echo requests but never an ICMP error or an unknown ICMP type', () => {
    assert.notEqual(unreachableFor(ipv4({ protocol: 1, payload: icmpMessage(8) })), null);
    for (const type of [3, 4, 5, 11, 12, 19, 200]) {
      assert.equal(unreachableFor(ipv4({ protocol: 1, payload: icmpMessage(type) })), null, `type ${type}`);
    }
    assert.equal(unreachableFor(ipv4({ protocol: 1, payload: new Uint8Array(0) })), null, 'no ICMP type to read');
  });

  it('answers a first fragment, never a later one', () => {
    assert.notEqual(unreachableFor(ipv4({ fragment: 0x2000 })), null, 'MF set, offset 0');
    assert.equal(unreachableFor(ipv4({ fragment: 0x2001 })), null);
    assert.equal(unreachableFor(ipv4({ fragment: 0x00b9 })), null, 'last fragment');
  });

  it('never answers multicast, broadcast or non-host sources', () => {
    for (const dst of [[224, 0, 0, 5], [239, 1, 2, 3], [255, 255, 255, 255], [0, 0, 0, 0]]) {
      assert.equal(unreachableFor(ipv4({ dst })), null, `to ${dst.join('.')}`);
    }
    for (const src of [[0, 0, 0, 0], [127, 0, 0, 1], [224, 0, 0, 1], [255, 255, 255, 255]]) {
      assert.equal(unreachableFor(ipv4({ src })), null, `from ${src.join('.')}`);
    }
  });

  it('refuses what is not a whole IP packet', () => {
    const packet = ipv4({});
    assert.equal(unreachableFor(packet.subarray(0, 19)), null);
    assert.equal(unreachableFor(packet.subarray(0, packet.length - 1)), null, 'total length beyond the buffer');
    const badIhl = Buffer.from(packet);
    badIhl[0] = 0x44;
    assert.equal(unreachableFor(badIhl), null);
    assert.equal(unreachableFor(Buffer.from([0x20, 1, 2, 3])), null, 'version 2');
    assert.equal(unreachableFor(new Uint8Array(0)), null);
    assert.throws(() => unreachableFor('x' as unknown as Uint8Array), TypeError);
  });
});

describe('ICMPv6 destination unreachable', () => {
  it('answers a UDP packet: type 1 code 3 (address unreachable), pseudo-header checksum', () => {
    const packet = ipv6({ payload: Buffer.from('hello, unreachable') });
    const answer = Buffer.from(unreachableFor(packet)!);
    assert.equal(answer.length, 40 + 8 + packet.length);
    assert.equal(answer[0] >> 4, 6);
    assert.equal(answer.readUInt16BE(4), 8 + packet.length);
    assert.equal(answer[6], 58);
    assert.equal(answer[7], 64);
    assert.deepEqual(answer.subarray(8, 24), v6('fd00::9'));
    assert.deepEqual(answer.subarray(24, 40), v6('fd00::1'));
    assert.equal(answer[40], 1);
    assert.equal(answer[41], 3);
    assert.equal(answer.readUInt32BE(44), 0);
    assert.equal(icmpv6Checksum(answer), 0);
    assert.deepEqual(answer.subarray(48), packet);
  });

  it('quotes as much as fits in 1280 bytes (RFC 4443 §2.4(c))', () => {
    const big = ipv6({ payload: Buffer.alloc(1400, 9) });
    const answer = Buffer.from(unreachableFor(big)!);
    assert.equal(answer.length, 1280);
    assert.deepEqual(answer.subarray(48), big.subarray(0, 1232));
    assert.equal(icmpv6Checksum(answer), 0);
  });

  it('answers echo requests, never ICMPv6 errors (types below 128)', () => {
    assert.notEqual(unreachableFor(ipv6({ next: 58, payload: icmpMessage(128) })), null);
    for (const type of [1, 2, 3, 4, 127]) {
      assert.equal(unreachableFor(ipv6({ next: 58, payload: icmpMessage(type) })), null, `type ${type}`);
    }
    assert.equal(unreachableFor(ipv6({ next: 58, payload: new Uint8Array(0) })), null);
  });

  it('looks through extension headers: a first fragment is answered, a later one or an error behind options is not', () => {
    const fragment = (offsetWords: number, next: number, rest: Uint8Array) => {
      const h = Buffer.alloc(8);
      h[0] = next;
      h.writeUInt16BE((offsetWords << 3) | 1, 2);
      return Buffer.concat([h, rest]);
    };
    assert.notEqual(unreachableFor(ipv6({ next: 44, payload: fragment(0, 17, Buffer.alloc(8)) })), null);
    assert.equal(unreachableFor(ipv6({ next: 44, payload: fragment(1, 17, Buffer.alloc(8)) })), null);
    const hopByHop = Buffer.alloc(8);
    hopByHop[0] = 58;
    assert.equal(unreachableFor(ipv6({ next: 0, payload: Buffer.concat([hopByHop, icmpMessage(1)]) })), null);
    assert.notEqual(unreachableFor(ipv6({ next: 0, payload: Buffer.concat([hopByHop, icmpMessage(128)]) })), null);
  });

  it('never answers multicast destinations or unspecified, multicast or loopback sources', () => {
    assert.equal(unreachableFor(ipv6({ dst: 'ff02::1' })), null);
    assert.equal(unreachableFor(ipv6({ dst: '::' })), null);
    for (const src of ['::', 'ff02::1', '::1']) assert.equal(unreachableFor(ipv6({ src })), null, `from ${src}`);
  });
});

describe('unreachable answers on a TAP device', () => {
  it('go back to the frame\'s sender, from the MAC the frame was sent to', () => {
    const peer = Buffer.from([0x02, 1, 2, 3, 4, 5]);
    const sender = Buffer.from([0x52, 9, 8, 7, 6, 5]);
    for (const [packet, type] of [[ipv4({}), 0x0800], [ipv6({}), 0x86dd]] as const) {
      const header = Buffer.concat([peer, sender, Buffer.from([type >> 8, type & 0xff])]);
      const frame = Buffer.from(unreachableForFrame(Buffer.concat([header, packet]))!);
      assert.deepEqual(frame.subarray(0, 6), sender);
      assert.deepEqual(frame.subarray(6, 12), peer);
      assert.equal(frame.readUInt16BE(12), type);
      assert.deepEqual(frame.subarray(14), Buffer.from(unreachableFor(packet)!));
    }
    assert.equal(unreachableForFrame(Buffer.concat([Buffer.alloc(14), ipv4({ dst: [224, 0, 0, 9] })])), null);
    assert.throws(() => unreachableForFrame(new Uint8Array(13)), RangeError);
  });
});
