// Bad input never reaches the trie: the TS wrapper throws TypeError/RangeError, and the raw
// addon, called directly with garbage, throws too instead of crashing.
import assert from 'node:assert/strict';
import { AllowedIps, PrefixBatch } from '../../src/native/allowedips.js';
import { loadNative } from '../../src/native/loader.js';

function entry(family: number, cidr: number, address: number[], peer: number): Uint8Array {
  const bytes = new Uint8Array(22);
  bytes[0] = family;
  bytes[1] = cidr;
  bytes.set(address, 2);
  new DataView(bytes.buffer).setUint32(18, peer, true);
  return bytes;
}

describe('AllowedIps input validation', () => {
  describe('TS wrapper', () => {
    const t = new AllowedIps();

    it('rejects peer ids that are not integers in 1..2^32-1', () => {
      for (const peer of [0, -1, 1.5, 2 ** 32, Number.NaN, Infinity]) {
        assert.throws(() => t.insert('10.0.0.0/8', peer), RangeError, String(peer));
        assert.throws(() => t.remove('10.0.0.0/8', peer), RangeError, String(peer));
        assert.throws(() => t.removeAll(peer), RangeError, String(peer));
        assert.throws(() => t.walk(peer), RangeError, String(peer));
      }
      for (const peer of ['1', null, undefined, 1n, {}]) {
        assert.throws(() => t.insert('10.0.0.0/8', peer as unknown as number), TypeError);
      }
      assert.equal(t.insert('10.0.0.0/8', 2 ** 32 - 1), 0);
      assert.equal(t.lookup('10.1.1.1'), 2 ** 32 - 1);
    });

    it('rejects malformed prefixes and out-of-range cidrs', () => {
      for (const text of ['', '10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/', '10.0.0/8', '256.0.0.0/8', '::/129', 'fe80::/64/1', '10.0.0.0/08x', 'hello']) {
        assert.throws(() => t.insert(text, 1), RangeError, text);
      }
      assert.throws(() => t.insert({ family: 4, bytes: new Uint8Array(4), cidr: 33 }, 1), RangeError);
      assert.throws(() => t.insert({ family: 6, bytes: new Uint8Array(16), cidr: 1.5 }, 1), RangeError);
      assert.throws(() => t.insert({ family: 4, bytes: new Uint8Array(16), cidr: 8 }, 1), RangeError);
      assert.throws(() => t.insert({ family: 5, bytes: new Uint8Array(4), cidr: 8 } as never, 1), RangeError);
      assert.throws(() => t.insert({ family: 4, bytes: [10, 0, 0, 0], cidr: 8 } as never, 1), TypeError);
      assert.throws(() => t.insert({ family: 4, bytes: new Uint8Array(4), cidr: '8' } as never, 1), TypeError);
      assert.throws(() => t.insert(42 as never, 1), TypeError);
      assert.throws(() => t.insert(null as never, 1), TypeError);
    });

    it('rejects malformed addresses and bulk arguments', () => {
      assert.throws(() => t.lookup('10.0.0.0/8'), RangeError);
      assert.throws(() => t.lookup('1.2.3'), RangeError);
      assert.throws(() => t.lookup(7 as never), TypeError);
      assert.throws(() => t.lookup({ family: 6, bytes: new Uint8Array(4) }), RangeError);
      assert.throws(() => t.insertMany(new Uint8Array(22) as never), TypeError);
      assert.throws(() => t.removeMany({} as never), TypeError);
      assert.throws(() => t.lookupMany(5 as never, new Uint8Array(4)), RangeError);
      assert.throws(() => t.lookupMany(4, [1, 2, 3, 4] as never), TypeError);
      assert.throws(() => t.lookupMany(4, new Uint8Array(5)), RangeError);
      assert.throws(() => t.lookupMany(6, new Uint8Array(32), new Uint32Array(1)), RangeError);
      assert.throws(() => t.lookupMany(4, new Uint8Array(4), new Int32Array(1) as never), TypeError);
    });
  });

  describe('raw addon', () => {
    const addon = loadNative();
    const raw = new addon.AllowedIps();
    const garbage: unknown[] = [undefined, null, 'x', 4.5, -1, {}, [], new Uint16Array(2), new Float64Array(2), () => 1, Symbol('s'), 10n];

    function call(method: string, ...args: unknown[]): unknown {
      return (raw as unknown as Record<string, (...a: unknown[]) => unknown>)[method](...args);
    }

    it('throws on wrong argument types and counts for every method', () => {
      for (const g of garbage) {
        assert.throws(() => call('insert', g, new Uint8Array(4), 8, 1), /family/);
        assert.throws(() => call('insert', 4, g, 8, 1), /address/);
        assert.throws(() => call('insert', 4, new Uint8Array(4), g, 1), /cidr/);
        assert.throws(() => call('insert', 4, new Uint8Array(4), 8, g), /peer/);
        assert.throws(() => call('remove', 6, g, 8, 1), /address/);
        assert.throws(() => call('removeAll', g), /peer/);
        assert.throws(() => call('lookup', 4, g), /address/);
        assert.throws(() => call('walk', g), /peer/);
        assert.throws(() => call('insertMany', g), /batch/);
        assert.throws(() => call('removeMany', g), /batch/);
        assert.throws(() => call('lookupMany', 4, g, new Uint32Array(1)), /addresses/);
        assert.throws(() => call('lookupMany', 4, new Uint8Array(4), g), /out/);
      }
      for (const method of ['insert', 'remove', 'removeAll', 'lookup', 'walk', 'insertMany', 'removeMany', 'lookupMany']) {
        assert.throws(() => call(method), TypeError, method);
      }
    });

    it('throws on short, overlong and out-of-range values', () => {
      assert.throws(() => call('insert', 4, new Uint8Array(3), 8, 1), RangeError);
      assert.throws(() => call('insert', 6, new Uint8Array(4), 8, 1), RangeError);
      assert.throws(() => call('insert', 5, new Uint8Array(4), 8, 1), RangeError);
      assert.throws(() => call('insert', 4, new Uint8Array(4), 33, 1), RangeError);
      assert.throws(() => call('insert', 6, new Uint8Array(16), 129, 1), RangeError);
      assert.throws(() => call('insert', 4, new Uint8Array(4), 8, 0), RangeError);
      assert.throws(() => call('insert', 4, new Uint8Array(4), 8, 2 ** 32), RangeError);
      assert.throws(() => call('insert', 4, new Uint8Array(4), 8, 1.5), RangeError);
      assert.throws(() => call('lookupMany', 6, new Uint8Array(20), new Uint32Array(2)), RangeError);
      assert.throws(() => call('lookupMany', 4, new Uint8Array(8), new Uint32Array(1)), RangeError);
      // An output that is only bytes (so possibly misaligned for u32 results) is refused.
      assert.throws(() => call('lookupMany', 4, new Uint8Array(4), new Uint8Array(5).subarray(1)), TypeError);
    });

    it('refuses a whole batch with a bad entry before applying any of it', () => {
      const good = entry(4, 8, [10, 0, 0, 0], 1);
      const bad = [
        new Uint8Array(21),
        new Uint8Array(23),
        entry(5, 8, [10, 0, 0, 0], 1),
        entry(0, 0, [], 1),
        entry(4, 33, [10, 0, 0, 0], 1),
        entry(6, 129, [], 1),
        entry(4, 8, [10, 0, 0, 0], 0),
      ];
      for (const b of bad) {
        const batch = new Uint8Array(good.length + b.length);
        batch.set(good);
        batch.set(b, good.length);
        assert.throws(() => call('insertMany', batch), RangeError);
        assert.throws(() => call('removeMany', batch), RangeError);
        assert.equal(call('count'), 0);
      }
    });

    it('reads entries and addresses at any byte offset', () => {
      const backing = new Uint8Array(1 + 22 * 2);
      backing.set(entry(4, 24, [192, 0, 2, 0], 7), 1);
      backing.set(entry(6, 32, [0x20, 0x01, 0x0d, 0xb8], 8), 23);
      assert.equal(call('insertMany', backing.subarray(1)), 2);
      const addresses = new Uint8Array(1 + 4);
      addresses.set([192, 0, 2, 99], 1);
      const out = new Uint32Array(1);
      assert.equal(call('lookupMany', 4, addresses.subarray(1), out), 1);
      assert.equal(out[0], 7);
      const walked = PrefixBatch.fromBytes(call('walk', 8) as Uint8Array);
      assert.equal(walked.length, 1);
      assert.deepEqual(walked.entry(0).prefix, { family: 6, bytes: Uint8Array.of(0x20, 1, 0x0d, 0xb8, ...new Array(12).fill(0)), cidr: 32 });
      assert.equal(call('removeMany', backing.subarray(1)), 2);
      assert.equal(call('count'), 0);
    });
  });
});
