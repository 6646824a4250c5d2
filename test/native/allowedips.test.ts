import assert from 'node:assert/strict';
import { AllowedIps, PrefixBatch } from '../../src/native/allowedips.js';
import { formatPrefix, type IpAddress, type IpFamily, type IpPrefix } from '../../src/net/ip.js';
import { ReferenceAllowedIps } from './allowedips-reference.js';
import { prng } from '../../src/testing/prng.js';

const PEERS = [1, 2, 3, 0xffffffff];
// Lengths at every boundary of the stride-8 nodes, plus the edges /0, /1, /31, /32, /127, /128.
const V4_CIDRS = [0, 1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32];
const V6_CIDRS = [0, 1, 7, 8, 9, 16, 24, 31, 32, 33, 47, 48, 56, 63, 64, 65, 96, 120, 121, 127, 128];

class Scenario {
  readonly random: () => number;
  readonly anchors: Record<IpFamily, Uint8Array[]>;

  constructor(seed: number) {
    this.random = prng(seed);
    // Few anchors, so prefixes nest, touch and collide; all-zero and all-one edges included.
    const anchors = (size: number): Uint8Array[] => [
      new Uint8Array(size),
      new Uint8Array(size).fill(0xff),
      ...Array.from({ length: 4 }, () => Uint8Array.from({ length: size }, () => this.int(256))),
    ];
    this.anchors = { 4: anchors(4), 6: anchors(16) };
  }

  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)];
  }

  // An anchor with a few bits flipped: siblings, neighbours and nested prefixes of each other.
  address(family: IpFamily): IpAddress {
    const bytes = Uint8Array.from(this.pick(this.anchors[family]));
    const flips = this.int(3);
    for (let i = 0; i < flips; i++) {
      const bit = this.int(bytes.length * 8);
      bytes[bit >> 3] ^= 0x80 >> (bit & 7);
    }
    return { family, bytes };
  }

  prefix(family: IpFamily): IpPrefix {
    const max = family === 4 ? 32 : 128;
    const cidr = this.random() < 0.7 ? this.pick(family === 4 ? V4_CIDRS : V6_CIDRS) : this.int(max + 1);
    return { ...this.address(family), cidr };
  }

  family(): IpFamily {
    return this.random() < 0.5 ? 4 : 6;
  }
}

function assertSameWalks(trie: AllowedIps, reference: ReferenceAllowedIps, context: string): void {
  for (const peer of PEERS) {
    assert.deepEqual(trie.walk(peer).map(formatPrefix).sort(), reference.walk(peer), `${context}: walk(${peer})`);
  }
  assert.equal(trie.count(), reference.count(), `${context}: count`);
}

describe('AllowedIps (native trie)', () => {
  describe('against a naive reference under random operations', () => {
    for (let seed = 1; seed <= 40; seed++) {
      it(`seed ${seed}`, () => {
        const s = new Scenario(seed);
        const trie = new AllowedIps();
        const reference = new ReferenceAllowedIps();
        const inserted: { prefix: IpPrefix; peer: number }[] = [];
        for (let phase = 0; phase < 4; phase++) {
          for (let step = 0; step < 400; step++) {
            const op = s.random();
            const context = `seed ${seed} phase ${phase} step ${step}`;
            if (op < 0.5) {
              const p = s.prefix(s.family());
              const peer = s.pick(PEERS);
              inserted.push({ prefix: p, peer });
              assert.equal(trie.insert(p, peer), reference.insert(p, peer), `${context}: insert ${formatPrefix(p)}`);
            } else if (op < 0.7 && inserted.length > 0) {
              // An earlier prefix, with its inserting peer or another: exact removal only by the owner.
              const { prefix: p, peer } = s.pick(inserted);
              const who = s.random() < 0.6 ? peer : s.pick(PEERS);
              assert.equal(trie.remove(p, who), reference.remove(p, who), `${context}: remove ${formatPrefix(p)} by ${who}`);
            } else if (op < 0.75) {
              const p = s.prefix(s.family());
              const who = s.pick(PEERS);
              assert.equal(trie.remove(p, who), reference.remove(p, who), `${context}: remove ${formatPrefix(p)}`);
            } else if (op < 0.77) {
              const peer = s.pick(PEERS);
              assert.equal(trie.removeAll(peer), reference.removeAll(peer), `${context}: removeAll ${peer}`);
            } else {
              const address = s.address(s.family());
              assert.equal(trie.lookup(address), reference.lookup(address), `${context}: lookup ${address.bytes.join(',')}`);
            }
            assert.equal(trie.count(), reference.count(), `${context}: count`);
          }
          assertSameWalks(trie, reference, `seed ${seed} phase ${phase}`);
          // Bulk lookups agree with single ones.
          for (const family of [4, 6] as const) {
            const size = family === 4 ? 4 : 16;
            const addresses = new Uint8Array(100 * size);
            for (let i = 0; i < 100; i++) addresses.set(s.address(family).bytes, i * size);
            const out = trie.lookupMany(family, addresses);
            for (let i = 0; i < 100; i++) {
              const address = { family, bytes: addresses.subarray(i * size, (i + 1) * size) };
              assert.equal(out[i], reference.lookup(address), `seed ${seed} lookupMany #${i}`);
            }
          }
        }
        for (const peer of PEERS) assert.equal(trie.removeAll(peer), reference.removeAll(peer));
        assert.equal(trie.count(), 0);
        assertSameWalks(trie, reference, `seed ${seed} emptied`);
      });
    }
  });

  describe('bulk operations against the reference', () => {
    it('insertMany / removeMany of thousands of random prefixes', () => {
      const s = new Scenario(4242);
      const trie = new AllowedIps();
      const reference = new ReferenceAllowedIps();
      const batch = new PrefixBatch(16); // grows while filling
      for (let i = 0; i < 3000; i++) {
        const family = s.family();
        const p = { ...s.prefix(family), bytes: Uint8Array.from({ length: family === 4 ? 4 : 16 }, () => s.int(256)) };
        batch.add(p, s.pick(PEERS));
      }
      let fresh = 0;
      for (const { prefix: p, peer } of batch.entries()) fresh += reference.insert(p, peer) === 0 ? 1 : 0;
      assert.equal(trie.insertMany(batch), fresh);
      assertSameWalks(trie, reference, 'after insertMany');
      for (let i = 0; i < 2000; i++) {
        const address = s.address(s.family());
        assert.equal(trie.lookup(address), reference.lookup(address));
      }
      let removed = 0;
      for (const { prefix: p, peer } of batch.entries()) removed += reference.remove(p, peer) ? 1 : 0;
      assert.equal(trie.removeMany(batch), removed);
      assertSameWalks(trie, reference, 'after removeMany');
      assert.equal(trie.count(), 0);
    });
  });

  describe('upstream semantics', () => {
    it('longest prefix wins among overlapping prefixes (kernel selftest shapes)', () => {
      const t = new AllowedIps();
      const [a, b, c, d, e] = [1, 2, 3, 4, 5];
      t.insert('192.168.4.0/24', a);
      t.insert('192.168.4.4/32', b);
      t.insert('192.168.0.0/16', c);
      t.insert('192.95.5.64/27', d);
      t.insert('192.95.5.65/27', c); // same prefix once masked: moves it to c
      t.insert('2607:5300:60:6b00::/64', d);
      t.insert('2607:5300:60:6b00::c05f:543/128', e);
      t.insert('0.0.0.0/0', e);
      t.insert('::/0', a);
      assert.equal(t.lookup('192.168.4.20'), a);
      assert.equal(t.lookup('192.168.4.0'), a);
      assert.equal(t.lookup('192.168.4.4'), b);
      assert.equal(t.lookup('192.168.200.182'), c);
      assert.equal(t.lookup('192.95.5.68'), c);
      assert.equal(t.lookup('192.95.5.96'), e);
      assert.equal(t.lookup('2607:5300:60:6b00::c05f:543'), e);
      assert.equal(t.lookup('2607:5300:60:6b00::c02e:1ee'), d);
      assert.equal(t.lookup('2607:5300:60:6b01::1'), a);
      assert.equal(t.lookup('8.8.8.8'), e);
      assert.deepEqual(t.walk(c).map(formatPrefix).sort(), ['192.168.0.0/16', '192.95.5.64/27']);
      assert.deepEqual(t.walk(d).map(formatPrefix), ['2607:5300:60:6b00::/64']);
      assert.equal(t.count(), 8);
    });

    it('insert clears host bits and returns the previous owner', () => {
      const t = new AllowedIps();
      assert.equal(t.insert('10.1.2.3/8', 7), 0);
      assert.deepEqual(t.walk(7).map(formatPrefix), ['10.0.0.0/8']);
      assert.equal(t.insert('10.200.0.0/8', 9), 7);
      assert.deepEqual(t.walk(7), []);
      assert.equal(t.lookup('10.9.9.9'), 9);
      assert.equal(t.count(), 1);
    });

    it('removal by a peer that does not own the prefix is a no-op', () => {
      const t = new AllowedIps();
      t.insert('10.0.0.0/24', 1);
      t.insert('10.0.0.0/16', 2);
      assert.equal(t.remove('10.0.0.0/24', 2), false);
      assert.equal(t.lookup('10.0.0.1'), 1);
      assert.equal(t.remove('10.0.0.0/24', 1), true);
      assert.equal(t.lookup('10.0.0.1'), 2);
      assert.equal(t.count(), 1);
    });

    it('removing a prefix that does not exist changes nothing', () => {
      const t = new AllowedIps();
      t.insert('fd00::/8', 1);
      t.insert('fd00:1::/32', 1);
      assert.equal(t.remove('fd00::/16', 1), false);
      assert.equal(t.remove('fd00:1::/33', 1), false);
      assert.equal(t.remove('fd00:1::1/128', 1), false);
      assert.equal(t.remove('10.0.0.0/8', 1), false);
      assert.equal(t.remove('::/0', 1), false);
      assert.equal(t.count(), 2);
      assert.equal(t.lookup('fd00:1::1'), 1);
    });

    it('/0 of each family is separate, and a /1 splits the space', () => {
      const t = new AllowedIps();
      t.insert('0.0.0.0/0', 1);
      t.insert('128.0.0.0/1', 2);
      t.insert('::/0', 3);
      t.insert('8000::/1', 4);
      assert.equal(t.lookup('127.255.255.255'), 1);
      assert.equal(t.lookup('128.0.0.0'), 2);
      assert.equal(t.lookup('::1'), 3);
      assert.equal(t.lookup('ffff::'), 4);
      assert.equal(t.removeAll(1), 1);
      assert.equal(t.lookup('1.1.1.1'), 0);
      assert.equal(t.lookup('::'), 3);
    });

    it('adjacent host routes /31 /32 /127 /128 stay distinct', () => {
      const t = new AllowedIps();
      t.insert('10.0.0.0/31', 1);
      t.insert('10.0.0.1/32', 2);
      t.insert('10.0.0.2/32', 3);
      t.insert('2001:db8::/127', 4);
      t.insert('2001:db8::1/128', 5);
      assert.deepEqual(['10.0.0.0', '10.0.0.1', '10.0.0.2', '10.0.0.3'].map((a) => t.lookup(a)), [1, 2, 3, 0]);
      assert.deepEqual(['2001:db8::', '2001:db8::1', '2001:db8::2'].map((a) => t.lookup(a)), [4, 5, 0]);
    });

    it('memoryBytes grows with the table and shrinks when it empties', () => {
      const t = new AllowedIps();
      const empty = t.memoryBytes();
      const batch = new PrefixBatch();
      for (let i = 0; i < 5000; i++) batch.add({ family: 4, bytes: Uint8Array.of(10, i >> 8, i & 0xff, 0), cidr: 24 }, 1 + (i % 3));
      t.insertMany(batch);
      const full = t.memoryBytes();
      assert.ok(full > empty, `${full} > ${empty}`);
      assert.ok((full - empty) / t.count() < 64, `${(full - empty) / t.count()} bytes per prefix`);
      for (const peer of [1, 2, 3]) t.removeAll(peer);
      assert.ok(t.memoryBytes() < full);
      assert.equal(t.count(), 0);
    });
  });
});
