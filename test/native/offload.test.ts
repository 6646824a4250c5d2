// The TUN offloads' pure halves through the addon: cutting GSO super-packets into wire packets
// (native/gso_split.h) and joining decrypted segments into super-packets (native/gro_coalesce.h).
// Packets are built here with an independent checksum; joined writes are cut again and must give
// back exactly the packets that went in, in order, whatever mix of gaps, overlaps, duplicates
// and corruption a peer sends.
import assert from 'node:assert/strict';
import { loadNative } from '../../src/native/loader.js';
import { prng } from '../../src/testing/prng.js';

const native = loadNative();

const TCP = 6;
const UDP = 17;
const ACK = 0x10;
const PSH = 0x08;
const FIN = 0x01;
const CWR = 0x80;
const SYN = 0x02;
const NEEDS_CSUM = 1;
const DATA_VALID = 2;
const GSO_TCPV4 = 1;
const GSO_UDP = 3;
const GSO_TCPV6 = 4;
const GSO_UDP_L4 = 5;

function sum16(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

interface Flow {
  v6: boolean;
  src: Uint8Array;
  dst: Uint8Array;
  sport: number;
  dport: number;
}

const flowA: Flow = { v6: false, src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2), sport: 40000, dport: 5201 };
const flowB: Flow = { ...flowA, sport: 40001 };
const flow6: Flow = {
  v6: true,
  src: Uint8Array.from([0xfd, 0, ...new Array<number>(13).fill(0), 1]),
  dst: Uint8Array.from([0xfd, 0, ...new Array<number>(13).fill(0), 2]),
  sport: 50000,
  dport: 443,
};

function pseudoSum(flow: Flow, protocol: number, length: number): number {
  const p = new Uint8Array(flow.src.length * 2 + 4);
  p.set(flow.src, 0);
  p.set(flow.dst, flow.src.length);
  const view = new DataView(p.buffer);
  view.setUint16(p.length - 4, protocol);
  view.setUint16(p.length - 2, length);
  return sum16(p);
}

interface SegmentOptions {
  protocol?: number;
  seq?: number;
  ack?: number;
  flags?: number;
  window?: number;
  options?: Uint8Array;
  id?: number;
  ttl?: number;
  tos?: number;
  df?: boolean;
  ipOptions?: boolean;
}

// An IPv4/IPv6 TCP or UDP packet with correct lengths and checksums.
function packet(flow: Flow, payload: Uint8Array, o: SegmentOptions = {}): Uint8Array {
  const protocol = o.protocol ?? TCP;
  const l4Header = protocol === TCP ? 20 + (o.options?.length ?? 0) : 8;
  const ipHeader = flow.v6 ? 40 : o.ipOptions ? 24 : 20;
  const l4Length = l4Header + payload.length;
  const out = new Uint8Array(ipHeader + l4Length);
  const v = new DataView(out.buffer);
  if (flow.v6) {
    out[0] = 0x60;
    v.setUint16(4, l4Length);
    out[6] = protocol;
    out[7] = o.ttl ?? 64;
    out.set(flow.src, 8);
    out.set(flow.dst, 24);
  } else {
    out[0] = 0x40 | (ipHeader / 4);
    out[1] = o.tos ?? 0;
    v.setUint16(2, out.length);
    v.setUint16(4, o.id ?? 0x1234);
    v.setUint16(6, o.df === false ? 0 : 0x4000);
    out[8] = o.ttl ?? 64;
    out[9] = protocol;
    out.set(flow.src, 12);
    out.set(flow.dst, 16);
    if (o.ipOptions) out[20] = 1; // NOP, NOP, NOP, NOP
    if (o.ipOptions) out.fill(1, 20, 24);
    v.setUint16(10, ~sum16(out.subarray(0, ipHeader)) & 0xffff);
  }
  const l4 = out.subarray(ipHeader);
  const l4v = new DataView(l4.buffer, l4.byteOffset);
  l4v.setUint16(0, flow.sport);
  l4v.setUint16(2, flow.dport);
  if (protocol === TCP) {
    l4v.setUint32(4, (o.seq ?? 1000) >>> 0);
    l4v.setUint32(8, o.ack ?? 77);
    l4[12] = (l4Header / 4) << 4;
    l4[13] = o.flags ?? ACK;
    l4v.setUint16(14, o.window ?? 502);
    if (o.options) l4.set(o.options, 20);
  } else {
    l4v.setUint16(4, l4Length);
  }
  l4.set(payload, l4Header);
  const at = protocol === TCP ? 16 : 6;
  const check = ~sum16(l4, pseudoSum(flow, protocol, l4Length)) & 0xffff;
  l4v.setUint16(at, check === 0 ? 0xffff : check);
  return out;
}

function header(h: { flags?: number; gsoType?: number; hdrLen?: number; gsoSize?: number; csumStart?: number; csumOffset?: number }): Uint8Array {
  const out = new Uint8Array(10);
  const v = new DataView(out.buffer);
  out[0] = h.flags ?? 0;
  out[1] = h.gsoType ?? 0;
  v.setUint16(2, h.hdrLen ?? 0, true);
  v.setUint16(4, h.gsoSize ?? 0, true);
  v.setUint16(6, h.csumStart ?? 0, true);
  v.setUint16(8, h.csumOffset ?? 0, true);
  return out;
}

function readHeader(bytes: Uint8Array): { flags: number; gsoType: number; hdrLen: number; gsoSize: number; csumStart: number; csumOffset: number } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, 10);
  return { flags: bytes[0], gsoType: bytes[1], hdrLen: v.getUint16(2, true), gsoSize: v.getUint16(4, true), csumStart: v.getUint16(6, true), csumOffset: v.getUint16(8, true) };
}

function random(rand: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
}

// The checks every packet on the wire must pass: header lengths and checksums.
function assertValid(p: Uint8Array, what: string): { ipHeader: number; l4Header: number; payload: Uint8Array; flags: number; seq: number } {
  const v = new DataView(p.buffer, p.byteOffset, p.length);
  const v6 = p[0] >> 4 === 6;
  const ipHeader = v6 ? 40 : (p[0] & 15) * 4;
  if (v6) assert.equal(v.getUint16(4) + 40, p.length, `${what}: IPv6 payload length`);
  else {
    assert.equal(v.getUint16(2), p.length, `${what}: IPv4 total length`);
    assert.equal(sum16(p.subarray(0, ipHeader)), 0xffff, `${what}: IPv4 header checksum`);
  }
  const protocol = v6 ? p[6] : p[9];
  const l4 = p.subarray(ipHeader);
  const flow: Flow = v6
    ? { v6, src: p.subarray(8, 24), dst: p.subarray(24, 40), sport: 0, dport: 0 }
    : { v6, src: p.subarray(12, 16), dst: p.subarray(16, 20), sport: 0, dport: 0 };
  assert.equal(sum16(l4, pseudoSum(flow, protocol, l4.length)), 0xffff, `${what}: transport checksum`);
  const l4Header = protocol === TCP ? (l4[12] >> 4) * 4 : 8;
  if (protocol === UDP) assert.equal(new DataView(l4.buffer, l4.byteOffset).getUint16(4), l4.length, `${what}: UDP length`);
  return {
    ipHeader,
    l4Header,
    payload: l4.subarray(l4Header),
    flags: protocol === TCP ? l4[13] : 0,
    seq: protocol === TCP ? new DataView(l4.buffer, l4.byteOffset).getUint32(4) : 0,
  };
}

// A GSO super-packet as the kernel hands it over: lengths of the whole, checksum field holding
// the pseudo-header's sum.
function superPacket(flow: Flow, payload: Uint8Array, o: SegmentOptions, gsoSize: number): { header: Uint8Array; packet: Uint8Array } {
  const p = packet(flow, payload, o);
  const protocol = o.protocol ?? TCP;
  const ipHeader = flow.v6 ? 40 : 20;
  const l4Header = protocol === TCP ? 20 + (o.options?.length ?? 0) : 8;
  const at = ipHeader + (protocol === TCP ? 16 : 6);
  new DataView(p.buffer).setUint16(at, pseudoSum(flow, protocol, p.length - ipHeader));
  const gsoType = protocol === UDP ? GSO_UDP_L4 : flow.v6 ? GSO_TCPV6 : GSO_TCPV4;
  return {
    header: header({ flags: NEEDS_CSUM, gsoType, hdrLen: ipHeader + l4Header, gsoSize, csumStart: ipHeader, csumOffset: protocol === TCP ? 16 : 6 }),
    packet: p,
  };
}

const timestamps = Uint8Array.of(1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2);

describe('GSO split (native/gso_split.h)', () => {
  const rand = prng(12);

  for (const flow of [flowA, flow6]) {
    it(`cuts an IPv${flow.v6 ? 6 : 4} TCP super-packet: sequence, id, lengths, flags on the right segments, checksums`, () => {
      const payload = random(rand, 10_000);
      const o = { seq: 0xfffff000, flags: ACK | PSH | FIN | CWR, options: timestamps, id: 0xfffe };
      const { header: h, packet: p } = superPacket(flow, payload, o, 1388);
      const { result, segments } = native.gsoSplit(h, p, 0);
      assert.equal(result, 'ok');
      assert.equal(segments.length, Math.ceil(10_000 / 1388));
      const joined: Uint8Array[] = [];
      segments.forEach((s, i) => {
        const seg = assertValid(s, `segment ${i}`);
        assert.equal(seg.l4Header, 32);
        assert.equal(seg.seq, (0xfffff000 + i * 1388) >>> 0, `segment ${i} sequence wraps mod 2^32`);
        const last = i === segments.length - 1;
        assert.equal(seg.flags & (PSH | FIN), last ? PSH | FIN : 0, `segment ${i} PSH/FIN`);
        assert.equal(seg.flags & CWR, i === 0 ? CWR : 0, `segment ${i} CWR`);
        assert.equal(seg.flags & ACK, ACK);
        if (!flow.v6) assert.equal(new DataView(s.buffer).getUint16(4), (0xfffe + i) & 0xffff, 'IPv4 id');
        assert.ok(s.length <= (flow.v6 ? 40 : 20) + 32 + 1388);
        joined.push(seg.payload);
      });
      assert.deepEqual(Buffer.concat(joined), Buffer.from(payload));
    });

    it(`cuts an IPv${flow.v6 ? 6 : 4} UDP super-packet (USO)`, () => {
      const payload = random(rand, 4000);
      const { header: h, packet: p } = superPacket(flow, payload, { protocol: UDP }, 1200);
      const { result, segments } = native.gsoSplit(h, p, 0);
      assert.equal(result, 'ok');
      assert.deepEqual(segments.map((s) => s.length - (flow.v6 ? 40 : 20) - 8), [1200, 1200, 1200, 400]);
      const joined = segments.map((s, i) => assertValid(s, `datagram ${i}`).payload);
      assert.deepEqual(Buffer.concat(joined), Buffer.from(payload));
    });
  }

  it('cuts a TAP frame: each segment keeps the Ethernet header', () => {
    const payload = random(rand, 3000);
    const { header: h, packet: p } = superPacket(flowA, payload, {}, 1000);
    const eth = Uint8Array.of(2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00);
    const frame = Buffer.concat([eth, p]);
    const hv = new DataView(h.buffer);
    hv.setUint16(6, 34, true);
    const { result, segments } = native.gsoSplit(h, frame, 14);
    assert.equal(result, 'ok');
    assert.equal(segments.length, 3);
    for (const s of segments) {
      assert.deepEqual(Buffer.from(s.subarray(0, 14)), Buffer.from(eth));
      assertValid(s.subarray(14), 'TAP segment');
    }
    // The same frame with the IPv6 EtherType contradicts its IPv4 packet.
    frame[12] = 0x86;
    frame[13] = 0xdd;
    assert.equal(native.gsoSplit(h, frame, 14).result, 'badPacket');
  });

  it('completes the checksum of a single packet the sender left to us (NEEDS_CSUM)', () => {
    for (const [flow, protocol] of [[flowA, TCP], [flow6, UDP]] as const) {
      const p = packet(flow, random(rand, 333), { protocol });
      const ipHeader = flow.v6 ? 40 : 20;
      const at = protocol === TCP ? 16 : 6;
      new DataView(p.buffer).setUint16(ipHeader + at, pseudoSum(flow, protocol, p.length - ipHeader));
      const { result, segments } = native.gsoSplit(header({ flags: NEEDS_CSUM, csumStart: ipHeader, csumOffset: at }), p, 0);
      assert.equal(result, 'ok');
      assert.equal(segments.length, 1);
      assertValid(segments[0], 'completed packet');
    }
    // Nothing to do: the packet is left as it is.
    const plain = packet(flowA, random(rand, 50));
    assert.deepEqual(native.gsoSplit(header({}), plain, 0).segments, [plain]);
  });

  it('refuses, whole, a virtio_net_hdr or packet that do not agree', () => {
    const payload = random(rand, 5000);
    const good = superPacket(flowA, payload, { options: timestamps }, 1400);
    const good6 = superPacket(flow6, payload, {}, 1400);
    const udp = superPacket(flowA, payload, { protocol: UDP }, 1400);
    const edit = (bytes: Uint8Array, fn: (v: DataView, b: Uint8Array) => void): Uint8Array => {
      const copy = Uint8Array.from(bytes);
      fn(new DataView(copy.buffer), copy);
      return copy;
    };
    const cases: Array<[string, Uint8Array, Uint8Array, 'badHeader' | 'badPacket']> = [
      ['UFO (never enabled)', edit(good.header, (_, b) => (b[1] = GSO_UDP)), good.packet, 'badHeader'],
      ['unknown GSO type', edit(good.header, (_, b) => (b[1] = 9)), good.packet, 'badHeader'],
      ['gso_size 0', edit(good.header, (v) => v.setUint16(4, 0, true)), good.packet, 'badHeader'],
      ['GSO without NEEDS_CSUM', edit(good.header, (_, b) => (b[0] = 0)), good.packet, 'badHeader'],
      ['csum_start not at the transport header', edit(good.header, (v) => v.setUint16(6, 24, true)), good.packet, 'badHeader'],
      ['csum_offset not TCP\'s', edit(good.header, (v) => v.setUint16(8, 6, true)), good.packet, 'badHeader'],
      ['segment longer than an IP packet', edit(good.header, (v) => v.setUint16(4, 65535, true)), good.packet, 'badHeader'],
      ['TCPV4 on an IPv6 packet', edit(good6.header, (_, b) => (b[1] = GSO_TCPV4)), good6.packet, 'badPacket'],
      ['TCPV6 on an IPv4 packet', edit(good.header, (_, b) => (b[1] = GSO_TCPV6)), good.packet, 'badPacket'],
      ['TCP GSO on a UDP packet', edit(udp.header, (v, b) => { b[1] = GSO_TCPV4; v.setUint16(8, 16, true); }), udp.packet, 'badPacket'],
      ['IPv4 total length beyond the packet', good.header, edit(good.packet, (v) => v.setUint16(2, good.packet.length + 1)), 'badPacket'],
      ['IPv4 total length short of the packet', good.header, edit(good.packet, (v) => v.setUint16(2, good.packet.length - 100)), 'badPacket'],
      ['IPv6 payload length wrong', good6.header, edit(good6.packet, (v) => v.setUint16(4, 100)), 'badPacket'],
      ['IPv4 fragment', good.header, edit(good.packet, (v) => v.setUint16(6, 0x2000)), 'badPacket'],
      ['IPv4 header length below 20', good.header, edit(good.packet, (_, b) => (b[0] = 0x44)), 'badPacket'],
      ['TCP data offset below 5', good.header, edit(good.packet, (_, b) => (b[32] = 0x40)), 'badPacket'],
      ['TCP header beyond the packet', good.header, good.packet.subarray(0, 40), 'badPacket'],
      ['UDP length wrong', udp.header, edit(udp.packet, (v) => v.setUint16(24, 999)), 'badPacket'],
      ['not IP', good.header, edit(good.packet, (_, b) => (b[0] = 0x55)), 'badPacket'],
      ['truncated to nothing', good.header, new Uint8Array(0), 'badPacket'],
      ['NEEDS_CSUM beyond the packet', header({ flags: NEEDS_CSUM, csumStart: 60, csumOffset: 16 }), packet(flowA, new Uint8Array(10)), 'badHeader'],
    ];
    for (const [what, h, p, expected] of cases) {
      const { result, segments } = native.gsoSplit(h, p, 0);
      assert.equal(result, expected, what);
      assert.equal(segments.length, 0, what);
    }
  });

  it('never produces an invalid segment from random headers and bytes', () => {
    const outcomes = { ok: 0, refused: 0 };
    for (let round = 0; round < 3000; round++) {
      const base = superPacket(rand() < 0.5 ? flowA : flow6, random(rand, Math.floor(rand() * 3000)), { protocol: rand() < 0.3 ? UDP : TCP }, 1 + Math.floor(rand() * 1500));
      const h = Uint8Array.from(base.header);
      const p = Uint8Array.from(base.packet);
      // Flip a few bytes of either.
      for (let k = Math.floor(rand() * 3); k >= 0; k--) {
        if (rand() < 0.4) h[Math.floor(rand() * 10)] = Math.floor(rand() * 256);
        else if (p.length > 0) p[Math.floor(rand() * Math.min(p.length, 64))] = Math.floor(rand() * 256);
      }
      const { result, segments } = native.gsoSplit(h, p, 0);
      if (result !== 'ok') outcomes.refused++;
      if (result !== 'ok' || readHeader(h).gsoType === 0) continue;
      outcomes.ok++;
      segments.forEach((s, i) => assertValid(s, `round ${round} segment ${i}`));
    }
    assert.ok(outcomes.ok > 500 && outcomes.refused > 500, JSON.stringify(outcomes));
  });

  it('checks its arguments', () => {
    assert.throws(() => native.gsoSplit(new Uint8Array(9), new Uint8Array(40), 0), RangeError);
    assert.throws(() => native.gsoSplit(new Uint8Array(10), new Uint8Array(40), 3), RangeError);
  });
});

describe('GRO coalescing (native/gro_coalesce.h)', () => {
  const rand = prng(34);

  // count segments of one flow, each following the last; `last` bytes in the final one.
  function stream(flow: Flow, count: number, size: number, o: SegmentOptions & { last?: number; lastFlags?: number } = {}): Uint8Array[] {
    const out: Uint8Array[] = [];
    let seq = o.seq ?? 5000;
    for (let i = 0; i < count; i++) {
      const n = i === count - 1 && o.last !== undefined ? o.last : size;
      const flags = i === count - 1 && o.lastFlags !== undefined ? o.lastFlags : (o.flags ?? ACK);
      out.push(packet(flow, random(rand, n), { ...o, seq, flags, id: ((o.id ?? 100) + i) & 0xffff }));
      seq = (seq + n) >>> 0;
    }
    return out;
  }

  // Cuts every write back into wire packets (gsoSplit), checking it on the way.
  function resplit(writes: Array<{ header: Uint8Array; packet: Uint8Array }>, linkLength = 0): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const w of writes) {
      const h = readHeader(w.header);
      if (h.gsoType === 0) {
        assert.equal(h.flags & NEEDS_CSUM, 0);
        out.push(w.packet);
        continue;
      }
      assert.equal(h.flags, NEEDS_CSUM);
      const ip = w.packet.subarray(linkLength);
      assert.ok(ip.length <= 65535);
      const { result, segments } = native.gsoSplit(w.header, w.packet, linkLength);
      assert.equal(result, 'ok', 'a joined write is a valid super-packet');
      out.push(...segments);
    }
    return out;
  }

  for (const flow of [flowA, flow6]) {
    it(`joins one IPv${flow.v6 ? 6 : 4} TCP flow into one super-packet that cuts back into the same segments`, () => {
      const input = stream(flow, 10, 1400, { options: timestamps, last: 500, lastFlags: ACK | PSH });
      const writes = native.groCoalesce(input, 0, true, false);
      assert.equal(writes.length, 1);
      const h = readHeader(writes[0].header);
      const ipHeader = flow.v6 ? 40 : 20;
      assert.deepEqual(h, { flags: NEEDS_CSUM, gsoType: flow.v6 ? GSO_TCPV6 : GSO_TCPV4, hdrLen: ipHeader + 32, gsoSize: 1400, csumStart: ipHeader, csumOffset: 16 });
      assert.equal(writes[0].packet.length, ipHeader + 32 + 9 * 1400 + 500);
      if (!flow.v6) assert.equal(sum16(writes[0].packet.subarray(0, 20)), 0xffff);
      assert.deepEqual(resplit(writes).map((p) => Buffer.from(p)), input.map((p) => Buffer.from(p)));
    });
  }

  it('joins UDP datagrams only when USO is on, and not those without a checksum', () => {
    const datagrams = [0, 1, 2, 3].map((i) => packet(flowA, random(rand, i === 3 ? 100 : 1200), { protocol: UDP, id: 7 + i }));
    const joined = native.groCoalesce(datagrams, 0, true, true);
    assert.equal(joined.length, 1);
    assert.equal(readHeader(joined[0].header).gsoType, GSO_UDP_L4);
    assert.equal(readHeader(joined[0].header).gsoSize, 1200);
    assert.deepEqual(resplit(joined).map((p) => Buffer.from(p)), datagrams.map((p) => Buffer.from(p)));
    assert.equal(native.groCoalesce(datagrams, 0, true, false).length, 4);
    const unchecked = datagrams.map((d) => {
      const c = Uint8Array.from(d);
      c[26] = c[27] = 0;
      return c;
    });
    assert.equal(native.groCoalesce(unchecked, 0, true, true).length, 4);
  });

  it('keeps two interleaved flows apart, each joined, in the order they began', () => {
    const a = stream(flowA, 4, 1000);
    const b = stream(flowB, 4, 1000);
    const writes = native.groCoalesce([a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3]], 0, true, false);
    assert.equal(writes.length, 2);
    const back = resplit(writes).map((p) => Buffer.from(p));
    assert.deepEqual(back, [...a, ...b].map((p) => Buffer.from(p)));
  });

  it('passes through, unchanged and in order, what must not be joined', () => {
    const cases: Array<[string, (s: Uint8Array[]) => Uint8Array[]]> = [
      ['a gap', (s) => [s[0], s[2]]],
      ['reordered segments', (s) => [s[0], s[2], s[1]]],
      ['a duplicate', (s) => [s[0], s[0]]],
      ['an overlap', (s) => [s[0], packet(flowA, random(rand, 1000), { seq: 5500, id: 101 })]],
      ['another ACK', (s) => [s[0], packet(flowA, random(rand, 1000), { seq: 6000, ack: 78, id: 101 })]],
      ['another window', (s) => [s[0], packet(flowA, random(rand, 1000), { seq: 6000, window: 1, id: 101 })]],
      ['other options', (s) => [s[0], packet(flowA, random(rand, 1000), { seq: 6000, options: timestamps, id: 101 })]],
      ['another TTL', (s) => [s[0], packet(flowA, random(rand, 1000), { seq: 6000, ttl: 3, id: 101 })]],
      ['another TOS', (s) => [s[0], packet(flowA, random(rand, 1000), { seq: 6000, tos: 4, id: 101 })]],
      ['DF differs', (s) => [s[0], packet(flowA, random(rand, 1000), { seq: 6000, df: false, id: 101 })]],
      ['IP options', () => [packet(flowA, random(rand, 1000), { seq: 5000, ipOptions: true }), packet(flowA, random(rand, 1000), { seq: 6000, ipOptions: true })]],
      ['a larger segment after a smaller one', (s) => [packet(flowA, random(rand, 500), { seq: 4500 }), s[0]]],
      ['anything after PSH', (s) => [packet(flowA, random(rand, 1000), { seq: 5000, flags: ACK | PSH }), s[1]]],
      ['a FIN in the middle', (s) => [s[0], packet(flowA, random(rand, 1000), { seq: 6000, flags: ACK | FIN, id: 101 }), s[2]]],
      ['a SYN', (s) => [packet(flowA, random(rand, 1000), { seq: 5000, flags: SYN | ACK }), s[1]]],
      ['a bad checksum, and what follows it', (s) => {
        const bad = Uint8Array.from(s[1]);
        bad[bad.length - 1] ^= 0xff;
        return [s[0], bad, s[2]];
      }],
      ['pure ACKs', () => [packet(flowA, new Uint8Array(0), { seq: 1 }), packet(flowA, new Uint8Array(0), { seq: 1 })]],
      ['not IP at all', () => [Uint8Array.of(1, 2, 3), new Uint8Array(30)]],
    ];
    for (const [what, make] of cases) {
      const input = make(stream(flowA, 3, 1000));
      const writes = native.groCoalesce(input, 0, true, false);
      assert.equal(writes.length, input.length, what);
      writes.forEach((w, i) => {
        assert.deepEqual(Buffer.from(w.packet), Buffer.from(input[i]), `${what}: write ${i}`);
        assert.equal(readHeader(w.header).gsoType, 0, what);
        assert.equal(readHeader(w.header).flags & NEEDS_CSUM, 0, what);
      });
    }
  });

  it('ends a super-packet at its first short segment', () => {
    const [first] = stream(flowA, 1, 1000);
    const short = packet(flowA, random(rand, 10), { seq: 6000, id: 101 });
    const after = packet(flowA, random(rand, 10), { seq: 6010, id: 102 });
    const writes = native.groCoalesce([first, short, after], 0, true, false);
    assert.equal(writes.length, 2);
    assert.equal(readHeader(writes[0].header).gsoSize, 1000);
    assert.deepEqual(Buffer.from(writes[1].packet), Buffer.from(after));
    assert.deepEqual(resplit(writes).map((p) => Buffer.from(p)), [first, short, after].map((p) => Buffer.from(p)));
  });

  it('marks only checked packets DATA_VALID', () => {
    const good = stream(flowA, 1, 1000)[0];
    const bad = Uint8Array.from(good);
    bad[bad.length - 1] ^= 1;
    const [w1, w2] = native.groCoalesce([good, bad], 0, true, false);
    assert.equal(readHeader(w1.header).flags, DATA_VALID);
    assert.equal(readHeader(w2.header).flags, 0);
  });

  it('stops a super-packet at 64 KiB and goes on with the next', () => {
    const input = stream(flowA, 100, 1400);
    const writes = native.groCoalesce(input, 0, true, false);
    assert.ok(writes.length >= 3 && writes.length <= 4, `${writes.length} writes`);
    for (const w of writes) assert.ok(w.packet.length <= 65535);
    assert.deepEqual(resplit(writes).map((p) => Buffer.from(p)), input.map((p) => Buffer.from(p)));
  });

  it('joins TAP frames of one flow and link header only', () => {
    const eth = (last: number): Uint8Array => Uint8Array.of(2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, last, 0x08, 0x00);
    const segs = stream(flowA, 4, 1000);
    const frames = segs.map((s, i) => Buffer.concat([eth(i === 3 ? 9 : 2), s]));
    const writes = native.groCoalesce(frames, 14, true, false);
    assert.equal(writes.length, 2);
    assert.equal(readHeader(writes[0].header).csumStart, 34);
    assert.deepEqual(resplit(writes, 14).map((p) => Buffer.from(p)), frames.map((p) => Buffer.from(p)));
  });

  it('gives back every packet of every flow in its order, whatever a peer sends', () => {
    let sentTotal = 0;
    let writesTotal = 0;
    for (let round = 0; round < 60; round++) {
      const flows = [flowA, flowB, flow6];
      const next = flows.map(() => ({ seq: Math.floor(rand() * 2 ** 32), id: Math.floor(rand() * 65536) }));
      const sent: Array<{ flow: number; bytes: Uint8Array }> = [];
      for (let i = 0; i < 150; i++) {
        const f = Math.floor(rand() * flows.length);
        const state = next[f];
        const r = rand();
        const size = r < 0.8 ? 1300 : Math.floor(rand() * 1400);
        let seq = state.seq;
        if (r > 0.9) seq = (seq - Math.floor(rand() * 3000)) >>> 0; // overlap / duplicate
        else if (r > 0.85) seq = (seq + Math.floor(rand() * 3000)) >>> 0; // gap
        const flags = rand() < 0.05 ? ACK | PSH : rand() < 0.02 ? ACK | FIN : ACK;
        const bytes = packet(flows[f], random(rand, size), { seq, flags, id: state.id, ack: rand() < 0.03 ? 1 : 77 });
        if (rand() < 0.03) bytes[bytes.length - 1] ^= 0x40; // corrupted in transit
        sent.push({ flow: f, bytes });
        state.seq = (seq + size) >>> 0;
        state.id = (state.id + 1) & 0xffff;
      }
      const writes = native.groCoalesce(sent.map((s) => s.bytes), 0, true, true);
      const back = resplit(writes).map((p) => Buffer.from(p));
      const flowOf = (p: Uint8Array): number => flows.findIndex((f) => (p[0] >> 4 === 6) === f.v6 && new DataView(p.buffer, p.byteOffset).getUint16(f.v6 ? 40 : 20) === f.sport);
      for (let f = 0; f < flows.length; f++) {
        assert.deepEqual(
          back.filter((p) => flowOf(p) === f),
          sent.filter((s) => s.flow === f).map((s) => Buffer.from(s.bytes)),
          `round ${round} flow ${f}`,
        );
      }
      assert.equal(back.length, sent.length);
      sentTotal += sent.length;
      writesTotal += writes.length;
    }
    assert.ok(writesTotal < sentTotal * 0.6, `${writesTotal} writes for ${sentTotal} packets: joins happen`);
  });
});

describe('symmetricFlowHash (a flow\'s device queue)', () => {
  const reverse = (f: Flow): Flow => ({ v6: f.v6, src: f.dst, dst: f.src, sport: f.dport, dport: f.sport });
  const hash = (p: Uint8Array) => native.symmetricFlowHash(p);

  it('is the same both ways of a TCP or UDP flow, IPv4 and IPv6', () => {
    for (const flow of [flowA, flowB, flow6]) {
      for (const protocol of [TCP, UDP]) {
        const there = hash(packet(flow, random(prng(1), 100), { protocol }));
        assert.notEqual(there, 0);
        assert.equal(hash(packet(reverse(flow), random(prng(2), 10), { protocol })), there);
      }
    }
  });

  it('spreads flows that differ only in a port over the queues', () => {
    const queues = [0, 0, 0, 0];
    const seen = new Set<number>();
    for (let i = 0; i < 256; i++) {
      const h = hash(packet({ ...flowA, sport: 40000 + i }, new Uint8Array(0)));
      seen.add(h);
      queues[Math.floor((h * 4) / 2 ** 32)]++;
    }
    assert.equal(seen.size, 256, 'every flow its own hash');
    for (const count of queues) assert.ok(count >= 32, `queues got ${queues.join(', ')} of 256 flows`);
  });

  it('hashes a later fragment by addresses and protocol, and what is no IP packet as 0', () => {
    const first = packet(flowA, new Uint8Array(16));
    const later = first.slice();
    new DataView(later.buffer).setUint16(6, 0x0010); // offset 128 bytes: the "ports" are payload
    later.fill(0xab, 20);
    const noPorts = packet({ ...flowA, sport: 0, dport: 0 }, new Uint8Array(16));
    assert.equal(hash(later), hash(noPorts));
    assert.equal(hash(Uint8Array.of(0x50, 1, 2, 3)), 0);
    assert.equal(hash(first.subarray(0, 19)), 0);
  });
});
