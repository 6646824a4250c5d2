// The addon's handshake primitives (src/native/handshake-crypto.ts over native/x25519.cc,
// native/hmac_blake2s.cc, native/blake2s.cc) and the native Crypto built on them: RFC 7748 and
// RFC 7693 vectors, wireguard-go's KDF vectors, low-order points, agreement with the JavaScript
// Crypto on random inputs, independence of results, and bad arguments.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { blake2s as nobleBlake2s } from '@noble/hashes/blake2.js';
import sodium from 'libsodium-wrappers';
import { blake2sHash, blake2sMac, hkdfBlake2s, hmacBlake2s, X25519Key } from '../../src/native/handshake-crypto.js';
import { loadNative } from '../../src/native/loader.js';
import { processCrypto, selectCrypto } from '../../src/crypto/choose-crypto.js';
import { createJsCrypto } from '../../src/crypto/js-crypto.js';
import { createNativeCrypto } from '../../src/crypto/native-crypto.js';
import type { Logger } from '../../src/log.js';
import type { Crypto } from '../../src/protocol/crypto.js';

const hex = (b: Uint8Array | undefined): string => (b ? Buffer.from(b).toString('hex') : 'undefined');
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const random = (length: number): Uint8Array => Uint8Array.from(randomBytes(length));

// RFC 7748 §5.2 (scalar, u-coordinate, output) and §6.1 (Alice and Bob).
const SCALAR_MULT_VECTORS = [
  {
    scalar: 'a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4',
    u: 'e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c',
    out: 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552',
  },
  {
    scalar: '4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d',
    u: 'e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493',
    out: '95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957',
  },
];
const ALICE = {
  secret: '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a',
  public: '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a',
};
const BOB = {
  secret: '5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb',
  public: 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f',
};
const ALICE_BOB_SHARED = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';

// Points of small order and their non-canonical encodings (libsodium's blocklist, the kernel's
// curve25519 selftest): X25519 of any clamped scalar with them is all zero.
const LOW_ORDER_POINTS = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  // The same with the top bit set, which RFC 7748 §5 says to ignore.
  '0000000000000000000000000000000000000000000000000000000000000080',
  '0100000000000000000000000000000000000000000000000000000000000080',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b880',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
];

// wireguard-go device/kdf_test.go: KDF3 outputs (KDF1 and KDF2 are their prefixes).
const KDF_VECTORS = [
  {
    key: '746573742d6b6579',
    input: '746573742d696e707574',
    t: ['6f0e5ad38daba1bea8a0d213688736f19763239305e0f58aba697f9ffc41c633', 'df1194df20802a4fe594cde27e92991c8cae66c366e8106aaa937a55fa371e8a', 'fac6e2745a325f5dc5d11a5b165aad08b0ada28e7b4e666b7c077934a4d76c24'],
  },
  {
    key: '',
    input: '',
    t: ['8387b46bf43eccfcf349552a095d8315c4055beb90208fb1be23b894bc2ed5d0', '58a0e5f6faefccf4807bff1f05fa8a9217945762040bcec2f4b4a62bdfe0e86e', '0ce6ea98ec548f8e281e93e32db65621c45eb18dc6f0a7ad94178610a2f7338e'],
  },
];

describe('handshake crypto (native/x25519.cc, native/hmac_blake2s.cc)', () => {
  describe('X25519 against RFC 7748', () => {
    for (const [i, v] of SCALAR_MULT_VECTORS.entries()) {
      it(`§5.2 vector ${i + 1}: scalar times u-coordinate`, () => {
        assert.equal(hex(X25519Key.fromPrivate(bytes(v.scalar)).dh(bytes(v.u))), v.out);
      });
    }

    it('§6.1: Alice and Bob derive their public keys and the same shared secret', () => {
      const alice = X25519Key.fromPrivate(bytes(ALICE.secret));
      const bob = X25519Key.fromPrivate(bytes(BOB.secret));
      assert.equal(hex(alice.publicKey), ALICE.public);
      assert.equal(hex(bob.publicKey), BOB.public);
      assert.equal(hex(alice.dh(bob.publicKey)), ALICE_BOB_SHARED);
      assert.equal(hex(bob.dh(alice.publicKey)), ALICE_BOB_SHARED);
    });

    it('§5.2: 1 and 1,000 iterations of k, u = X25519(k, u), k from k = u = 9', () => {
      let k = new Uint8Array(32);
      k[0] = 9;
      let u = Uint8Array.from(k);
      for (let i = 1; i <= 1000; i++) {
        const next = X25519Key.fromPrivate(k).dh(u);
        assert.ok(next, `iteration ${i} gave a zero result`);
        u = k;
        k = Uint8Array.from(next);
        if (i === 1) assert.equal(hex(k), '422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079');
      }
      assert.equal(hex(k), '684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51');
    });

    it('gives undefined for every low-order point, with a generated and an imported key', () => {
      const keys = [X25519Key.generate(), X25519Key.fromPrivate(bytes(ALICE.secret))];
      for (const key of keys) {
        for (const point of LOW_ORDER_POINTS) assert.equal(key.dh(bytes(point)), undefined, point);
        // The key still works after a refusal.
        assert.ok(key.dh(bytes(BOB.public)));
      }
    });

    it('generates distinct key pairs whose public keys match libsodium', async () => {
      await sodium.ready;
      const a = X25519Key.generate();
      const b = X25519Key.generate();
      assert.notEqual(hex(a.publicKey), hex(b.publicKey));
      assert.equal(hex(a.dh(b.publicKey)), hex(b.dh(a.publicKey)));
      for (let i = 0; i < 20; i++) {
        const raw = random(32);
        const key = X25519Key.fromPrivate(raw);
        assert.equal(hex(key.publicKey), hex(sodium.crypto_scalarmult_base(raw)));
        const peer = random(32);
        assert.equal(hex(key.dh(peer)), hex(sodium.crypto_scalarmult(raw, peer)));
      }
    });
    it('keeps every derivation to its own key and peer when keys and peers interleave', async () => {
      await sodium.ready;
      const secrets = Array.from({ length: 4 }, () => random(32));
      const keys = secrets.map((raw) => X25519Key.fromPrivate(raw));
      const peers = Array.from({ length: 5 }, () => random(32));
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 20; i++) {
          const k = (i * 3 + round) % keys.length;
          const p = (i * 7 + round) % peers.length;
          assert.equal(hex(keys[k].dh(peers[p])), hex(sodium.crypto_scalarmult(secrets[k], peers[p])), `key ${k}, peer ${p}`);
        }
      }
    });
  });

  describe('BLAKE2s, HMAC-BLAKE2s and KDF', () => {
    it('hashes the RFC 7693 Appendix B message and the empty string', () => {
      assert.equal(hex(blake2sHash(new TextEncoder().encode('abc'))), '508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982');
      assert.equal(hex(blake2sHash()), '69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9');
      assert.equal(hex(blake2sHash(new Uint8Array(0), new Uint8Array(0))), '69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9');
    });

    it('hashes parts as their concatenation, past the on-stack size too', () => {
      for (const sizes of [[1, 2, 3], [32, 32], [64, 64, 64, 64, 1], [300], [100, 200, 300], [0, 255, 1, 0]]) {
        const parts = sizes.map(random);
        const joined = Buffer.concat(parts);
        assert.equal(hex(blake2sHash(...parts)), hex(nobleBlake2s(joined)), `parts ${sizes.join('+')}`);
      }
    });

    it('computes the keyed MAC of the BLAKE2 known-answer set and agrees with @noble/hashes', () => {
      const key = Uint8Array.from({ length: 32 }, (_, i) => i);
      assert.equal(hex(blake2sMac(key, new Uint8Array(0), 32)), '48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49');
      for (const [keyLength, dataLength, outLength] of [[32, 116, 16], [32, 132, 16], [16, 18, 16], [1, 0, 1], [32, 1000, 32]]) {
        const k = random(keyLength);
        const data = random(dataLength);
        assert.equal(hex(blake2sMac(k, data, outLength)), hex(nobleBlake2s(data, { key: k, dkLen: outLength })));
      }
    });

    it('computes known HMAC-BLAKE2s values (from OpenSSL and Python hashlib alike)', () => {
      const fox = new TextEncoder().encode('The quick brown fox jumps over the lazy dog');
      assert.equal(hex(hmacBlake2s(new TextEncoder().encode('key'), fox)), 'f93215bb90d4af4c3061cd932fb169fb8bb8a91d0b4022baea1271e1323cd9a0');
      // A key longer than the 64-byte block is hashed first (RFC 2104 §2).
      assert.equal(hex(hmacBlake2s(new Uint8Array(80).fill(0xaa), new Uint8Array(50).fill(0xdd))), '0c46be380815c17a74c099ab13fa38ae643d9da38569807f06046d04235079cd');
    });

    it('computes HMAC-BLAKE2s as OpenSSL does, for short, block-sized and long keys', () => {
      for (const [keyLength, dataLength] of [[32, 1], [32, 33], [0, 0], [64, 64], [65, 10], [100, 500], [16, 300]]) {
        const key = random(keyLength);
        const data = random(dataLength);
        const expected = createHmac('blake2s256', key).update(data).digest();
        assert.equal(hex(hmacBlake2s(key, data)), hex(expected), `key ${keyLength}, data ${dataLength}`);
      }
    });

    for (const [i, v] of KDF_VECTORS.entries()) {
      it(`matches wireguard-go's KDF vector ${i + 1} with 1, 2 and 3 outputs`, () => {
        for (const n of [1, 2, 3] as const) assert.deepEqual(hkdfBlake2s(bytes(v.key), bytes(v.input), n).map(hex), v.t.slice(0, n));
      });
    }

    it('hands out results that do not alias each other', () => {
      const a = blake2sHash(Uint8Array.of(1));
      const b = blake2sHash(Uint8Array.of(1));
      const [c, d] = hkdfBlake2s(a, b, 2);
      const e = X25519Key.generate().dh(bytes(BOB.public));
      const copies = [a, b, c, d, e].map(hex);
      a.fill(0);
      c.fill(0);
      assert.equal(hex(b), copies[1]);
      assert.equal(hex(d), copies[3]);
      assert.equal(hex(e), copies[4]);
      // Enough results to move past several slabs, each still distinct and intact.
      const many = Array.from({ length: 500 }, (_, i) => blake2sHash(Uint8Array.of(i & 0xff, i >> 8)));
      many.forEach((h, i) => assert.equal(hex(h), hex(nobleBlake2s(Uint8Array.of(i & 0xff, i >> 8)))));
    });

    it('lets an output overlap the inputs', () => {
      const buffer = random(96);
      const key = buffer.slice(0, 32);
      const input = buffer.slice(32, 64);
      const expected = hkdfBlake2s(key, input, 3).map(hex);
      loadNative().hkdfBlake2sInto(buffer, buffer.subarray(0, 32), buffer.subarray(32, 64));
      assert.deepEqual([0, 1, 2].map((i) => hex(buffer.subarray(32 * i, 32 * (i + 1)))), expected);
    });
  });

  describe('the native Crypto against the JavaScript one', () => {
    let native: Crypto;
    let js: Crypto;
    before(async () => {
      native = await createNativeCrypto();
      js = await createJsCrypto();
    });

    it('is the Crypto the process chooses when the addon loads, without logging', async () => {
      const log = recordingLogger();
      const crypto = await processCrypto(log);
      assert.throws(() => crypto.dh(js.generateKeypair(), random(32)), TypeError);
      assert.ok(crypto.dh(native.generateKeypair(), bytes(BOB.public)));
      assert.deepEqual(log.lines, []);
      assert.equal(await processCrypto(log), crypto, 'chosen once per process');
    });

    it('falls back to the JavaScript Crypto and logs why when the native one fails', async () => {
      const log = recordingLogger();
      const crypto = await selectCrypto(log, () => Promise.reject(new Error('the addon has no X25519Key')));
      assert.ok(crypto.dh(js.generateKeypair(), bytes(BOB.public)));
      assert.throws(() => crypto.dh(native.generateKeypair(), bytes(BOB.public)), TypeError);
      assert.equal(log.lines.length, 1);
      assert.match(log.lines[0], /^error: native handshake crypto unavailable.*JavaScript.*the addon has no X25519Key$/);
    });

    it('agrees on public keys and shared secrets, both ways across implementations', () => {
      for (let i = 0; i < 20; i++) {
        const raw = random(32);
        const n = native.importPrivateKey(raw);
        const j = js.importPrivateKey(raw);
        assert.equal(hex(n.publicKey), hex(j.publicKey));
        const other = i % 2 ? native.generateKeypair() : js.generateKeypair();
        const fromNative = native.dh(n, other.publicKey);
        assert.ok(fromNative);
        assert.equal(hex(fromNative), hex(js.dh(j, other.publicKey)));
      }
      const n = native.generateKeypair();
      const j = js.generateKeypair();
      assert.equal(hex(native.dh(n, j.publicKey)), hex(js.dh(j, n.publicKey)));
    });

    it('agrees on every low-order point and on wrong-length public keys', () => {
      const n = native.generateKeypair();
      for (const point of LOW_ORDER_POINTS) assert.equal(native.dh(n, bytes(point)), undefined, point);
      assert.equal(native.dh(n, new Uint8Array(31)), undefined);
      assert.equal(js.dh(js.generateKeypair(), new Uint8Array(31)), undefined);
    });

    it('agrees on hash, hmac, kdf and mac for random inputs', () => {
      for (let i = 0; i < 50; i++) {
        const a = random(i);
        const b = random(32);
        const c = random(i * 7);
        assert.equal(hex(native.hash(a, b, c)), hex(js.hash(a, b, c)));
        assert.equal(hex(native.hmac(b, c)), hex(js.hmac(b, c)));
        assert.equal(hex(native.mac(b, c)), hex(js.mac(b, c)));
        for (const n of [1, 2, 3] as const) assert.deepEqual(native.kdf(n, b, a).map(hex), js.kdf(n, b, a).map(hex));
      }
    });

    it('refuses a private key of the JavaScript Crypto and a private key of the wrong length', () => {
      assert.throws(() => native.dh(js.generateKeypair(), random(32)), /not made by this Crypto/);
      assert.throws(() => native.importPrivateKey(new Uint8Array(31)), RangeError);
    });
  });

  describe('bad arguments', () => {
    const addon = loadNative();

    it('are TypeErrors and RangeErrors in the TypeScript wrapper', () => {
      assert.throws(() => X25519Key.fromPrivate(new Uint8Array(31)), RangeError);
      assert.throws(() => X25519Key.fromPrivate('key' as unknown as Uint8Array), TypeError);
      const key = X25519Key.generate();
      assert.throws(() => key.dh(new Uint8Array(33)), RangeError);
      assert.throws(() => key.dh([1, 2] as unknown as Uint8Array), TypeError);
      assert.throws(() => blake2sHash(Uint8Array.of(1), 'x' as unknown as Uint8Array), TypeError);
      assert.throws(() => blake2sMac(new Uint8Array(33), new Uint8Array(1), 16), RangeError);
      assert.throws(() => blake2sMac(new Uint8Array(0), new Uint8Array(1), 16), RangeError);
      assert.throws(() => blake2sMac(new Uint8Array(32), new Uint8Array(1), 33), RangeError);
      assert.throws(() => blake2sMac(new Uint8Array(32), new Uint8Array(1), 1.5), RangeError);
      assert.throws(() => hmacBlake2s(null as unknown as Uint8Array, new Uint8Array(1)), TypeError);
      assert.throws(() => hkdfBlake2s(new Uint8Array(32), new Uint8Array(1), 4 as 3), RangeError);
    });

    it('are TypeErrors and RangeErrors in C++ too, never a crash', () => {
      assert.throws(() => new addon.X25519Key(new Uint8Array(31)), RangeError);
      assert.throws(() => new addon.X25519Key('key' as unknown as Uint8Array), TypeError);
      assert.throws(() => new addon.X25519Key(new Uint16Array(16) as unknown as Uint8Array), TypeError);
      const key = new addon.X25519Key();
      assert.throws(() => key.dh(new Uint8Array(32), new Uint8Array(31)), RangeError);
      assert.throws(() => key.dh(new Uint8Array(30), new Uint8Array(32)), RangeError);
      assert.throws(() => (key.dh as (...args: unknown[]) => boolean)(), TypeError);
      assert.throws(() => key.publicKey(new Uint8Array(8)), RangeError);
      assert.throws(() => addon.blake2sInto(new Uint8Array(0), null), RangeError);
      assert.throws(() => addon.blake2sInto(new Uint8Array(33), null), RangeError);
      assert.throws(() => addon.blake2sInto(new Uint8Array(16), new Uint8Array(33)), RangeError);
      assert.throws(() => addon.blake2sInto(new Uint8Array(16), null, 7 as unknown as Uint8Array), TypeError);
      assert.throws(() => addon.hmacBlake2sInto(new Uint8Array(16), new Uint8Array(1), new Uint8Array(1)), RangeError);
      assert.throws(() => addon.hmacBlake2sInto(new Uint8Array(32), {} as Uint8Array, new Uint8Array(1)), TypeError);
      for (const size of [0, 31, 33, 128]) {
        assert.throws(() => addon.hkdfBlake2sInto(new Uint8Array(size), new Uint8Array(1), new Uint8Array(1)), RangeError);
      }
      assert.throws(() => addon.hkdfBlake2sInto(new Uint8Array(64), new Uint8Array(1), undefined as unknown as Uint8Array), TypeError);
    });
  });
});

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, verbose: (m) => lines.push(`verbose: ${m}`), error: (m) => lines.push(`error: ${m}`) };
}
