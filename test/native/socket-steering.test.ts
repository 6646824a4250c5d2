// The UDP sockets' SO_REUSEPORT steering program (native/socket_filters.h), run here by a small
// classic-BPF interpreter on hand-built IPv4/IPv6 datagrams: each known endpoint goes to its
// receive lane, strangers to the socket after the lanes, and with more endpoints than one program
// can name, every source to the lane its address and port give (the same lane as before).
import assert from 'node:assert/strict';
import { isIPv4 } from 'node:net';
import { loadNative } from '../../src/native/loader.js';

const native = loadNative();
type Program = Array<[number, number, number, number]>;

const SKF_NET_OFF = -0x100000;
const MAX_INSTRUCTIONS = 4096; // BPF_MAXINSNS

/** The bytes of an address (numeric IPv4 or fully written IPv6, `::` allowed). */
function addressBytes(address: string): number[] {
  if (isIPv4(address)) return address.split('.').map(Number);
  const [head, tail = ''] = address.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const all = [...groups(head), ...new Array<number>(8 - groups(head).length - groups(tail).length).fill(0), ...groups(tail)];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/** An IP header (IPv4 with options when asked, so the UDP header moves) and a UDP header from source:port. */
function datagram(source: string, port: number, ipv4Options = false): Uint8Array {
  const v4 = isIPv4(source);
  const ipHeader = v4 ? (ipv4Options ? 24 : 20) : 40;
  const p = new Uint8Array(ipHeader + 8 + 32);
  if (v4) {
    p[0] = 0x40 | (ipHeader / 4);
    p[9] = 17;
    p.set(addressBytes(source), 12);
  } else {
    p[0] = 0x60;
    p[6] = 17;
    p.set(addressBytes(source), 8);
  }
  p[ipHeader] = port >> 8;
  p[ipHeader + 1] = port & 0xff;
  return p;
}

/** Runs a reuseport program whose loads are all relative to the network header; returns its verdict. */
function run(program: Program, packet: Uint8Array): number {
  let a = 0;
  let x = 0;
  const memory = new Array<number>(16).fill(0);
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const at = (k: number) => {
    const offset = (k | 0) - SKF_NET_OFF;
    assert.ok(offset >= 0 && offset < packet.length, `load outside the packet: ${k}`);
    return offset;
  };
  for (let pc = 0; pc < program.length; pc++) {
    const [code, jt, jf, k] = program[pc];
    switch (code) {
      case 0x20: a = view.getUint32(at(k)); break; // ld [k] (word)
      case 0x28: a = view.getUint16(at(k)); break; // ldh [k]
      case 0x48: a = view.getUint16(at(k + x)); break; // ldh [x + k]
      case 0xb1: x = (packet[at(k)] & 0x0f) * 4; break; // ldxb 4 * ([k] & 0xf)
      case 0x02: memory[k] = a; break; // st M[k]
      case 0x60: a = memory[k]; break; // ld M[k]
      case 0x61: x = memory[k]; break; // ldx M[k]
      case 0x0c: a = (a + x) >>> 0; break; // add x
      case 0x94: a = a % k; break; // mod #k
      case 0x15: pc += a === k >>> 0 ? jt : jf; break; // jeq #k
      case 0x06: return k; // ret #k
      case 0x16: return a; // ret a
      default: throw new Error(`opcode 0x${code.toString(16)} at ${pc} not interpreted`);
    }
  }
  throw new Error('program ran off its end');
}

describe('UDP socket steering (SO_REUSEPORT program)', () => {
  const v4: Array<[string, number]> = [['192.0.2.2', 51820], ['192.0.2.2', 51821], ['198.51.100.7', 40000]];
  const v6: Array<[string, number]> = [['2001:db8::2', 51820], ['fd00::1:2', 9]];

  for (const lanes of [1, 4, 7]) {
    it(`sends each known endpoint to its lane and strangers to socket ${lanes}, ${lanes} lane(s)`, () => {
      for (const [family, known, strangers] of [
        [4, v4, [['192.0.2.2', 51822], ['192.0.2.3', 51820]]],
        [6, v6, [['2001:db8::2', 51821], ['2001:db8::3', 51820]]],
      ] as const) {
        const program = native.steeringProgram(family, [...v4, ...v6], lanes);
        for (const [address, port] of known) {
          const lane = native.knownLane(address, port, lanes);
          assert.ok(lane >= 0 && lane < lanes);
          assert.equal(run(program, datagram(address, port)), lane, `${address}:${port}`);
          if (family === 4) assert.equal(run(program, datagram(address, port, true)), lane, `${address}:${port} with IP options`);
        }
        for (const [address, port] of strangers) assert.equal(run(program, datagram(address, port)), lanes, `stranger ${address}:${port}`);
      }
    });
  }

  it('puts endpoints on consecutive ports of one address on consecutive lanes', () => {
    const lanes = [51820, 51821, 51822, 51823].map((port) => native.knownLane('192.0.2.2', port, 4));
    assert.deepEqual([...lanes].sort(), [0, 1, 2, 3]);
  });

  it('with more endpoints than one program can name, serves every source in the lane KnownLane gives it', () => {
    const many: Array<[string, number]> = Array.from({ length: 2000 }, (_, i) => [`10.${i >> 8}.${i & 0xff}.1`, 51820 + (i % 7)]);
    for (const lanes of [1, 4]) {
      const program = native.steeringProgram(4, many, lanes);
      assert.ok(program.length <= MAX_INSTRUCTIONS, `${program.length} instructions`);
      for (const [address, port] of [...many.slice(0, 50), ['203.0.113.9', 1234] as [string, number]]) {
        assert.equal(run(program, datagram(address, port)), native.knownLane(address, port, lanes), `${address}:${port}`);
      }
      const many6: Array<[string, number]> = Array.from({ length: 1000 }, (_, i) => [`2001:db8::${i.toString(16)}`, 443]);
      const program6 = native.steeringProgram(6, many6, lanes);
      for (const [address, port] of many6.slice(0, 20)) assert.equal(run(program6, datagram(address, port)), native.knownLane(address, port, lanes));
    }
  });

  it('refuses a family other than 4 and 6, and bad endpoints', () => {
    assert.throws(() => native.steeringProgram(5 as 4, [], 1), RangeError);
    assert.throws(() => native.steeringProgram(4, [['not an address', 1]], 1), RangeError);
    assert.throws(() => native.knownLane('192.0.2.1', 0, 1), RangeError);
    assert.throws(() => native.knownLane('192.0.2.1', 1, 0), RangeError);
  });
});
