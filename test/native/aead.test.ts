// ChaCha20-Poly1305 through the addon, on every implementation ("path") this build and CPU
// can run: RFC 8439 vectors, WireGuard's nonce layout checked against node:crypto, every length
// 0-9000 against OpenSSL (node:crypto) and libsodium, round trips, forgeries, in-place and
// batch calls; which path is the default; and bad input.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import sodium from 'libsodium-wrappers';
import { AeadKey, aeadPaths, open, seal, TAG_SIZE } from '../../src/native/aead.js';
import { loadNative } from '../../src/native/loader.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

// WireGuard's nonce built independently of the code under test: 4 zero bytes, u64 LE counter.
function wireGuardNonce(counter: bigint): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64LE(counter, 4);
  return nonce;
}

function nodeSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad?: Uint8Array): Buffer {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
  if (ad) cipher.setAAD(ad, { plaintextLength: plaintext.length });
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

// The longest packet the length sweep covers (a jumbo frame's worth).
const SWEEP_MAX = 9000;

describe('ChaCha20-Poly1305 (native/aead.cc)', () => {
  before(async () => {
    await sodium.ready;
  });

  describe('paths', () => {
    it('OpenSSL is always there; ipsec-mb whenever the build machine has the library', () => {
      const paths = aeadPaths();
      assert.ok(paths.includes('openssl'));
      const probe = spawnSync('sh', ['native/has-ipsec-mb.sh'], { encoding: 'utf8' });
      assert.equal(probe.status, 0, probe.stderr);
      assert.equal(paths.includes('ipsec-mb'), probe.stdout.trim() === '1', `probe said ${probe.stdout.trim()}`);
      assert.equal(new Set(paths).size, paths.length);
    });

    it('the default is ipsec-mb exactly when it is built in and the CPU has its AVX-512 set, unless VIAGUARD_AEAD says', () => {
      const flags = new Set((/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '').trim().split(/\s+/));
      // The library's AVX-512 manager: AVX2 + BMI2 + AES-NI + PCLMULQDQ + AVX-512 F/DQ/CD/BW/VL.
      const avx512 = ['avx2', 'bmi2', 'aes', 'pclmulqdq', 'avx512f', 'avx512dq', 'avx512cd', 'avx512bw', 'avx512vl'].every(
        (flag) => flags.has(flag),
      );
      const fastest = aeadPaths().includes('ipsec-mb') && avx512 ? 'ipsec-mb' : 'openssl';
      assert.equal(aeadPaths()[0], process.env.VIAGUARD_AEAD || fastest);
    });

    /** aeadPaths() in a fresh process with VIAGUARD_AEAD set to value. */
    function pathsWith(value: string) {
      const script = `import('${new URL('../../src/native/aead.js', import.meta.url).href}').then((m) => console.log(m.aeadPaths().join(',')))`;
      return spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, VIAGUARD_AEAD: value } });
    }

    it('VIAGUARD_AEAD makes any available path the default, and refuses one that is not', () => {
      for (const path of aeadPaths()) {
        const run = pathsWith(path);
        assert.equal(run.status, 0, run.stderr);
        const paths = run.stdout.trim().split(',');
        assert.equal(paths[0], path);
        assert.deepEqual([...paths].sort(), [...aeadPaths()].sort());
      }
      const bad = pathsWith('rot13');
      assert.notEqual(bad.status, 0);
      assert.match(bad.stderr, /VIAGUARD_AEAD: 'rot13' is not an AEAD path available here \(have: (openssl|ipsec-mb)/);
    });
  });
  for (const path of aeadPaths()) {
  describe(`path ${path}`, () => {
    describe(`every length 0..${SWEEP_MAX} against OpenSSL (node:crypto) and libsodium`, function () {
      // About 2-4 s each on an idle 2-vCPU machine; room for a busy one.
      this.timeout(60_000);
      const key = randomBytes(32);
      const k = new AeadKey(key);
      const text = randomBytes(SWEEP_MAX);
      const randomCounter = (): bigint => randomBytes(8).readBigUInt64LE();
      // Some lengths carry AD (as handshake payloads do), most not (as data messages).
      const adFor = (length: number): Buffer | undefined => (length % 3 === 0 ? randomBytes(length % 29) : undefined);

      it('seal gives the bytes both references give, and open restores the plaintext', () => {
        for (let length = 0; length <= SWEEP_MAX; length++) {
          const plaintext = text.subarray(0, length);
          const counter = randomCounter();
          const ad = adFor(length);
          const sealed = k.seal(counter, plaintext, ad, path);
          const nonce = wireGuardNonce(counter);
          assert.deepEqual(sealed, nodeSeal(key, nonce, plaintext, ad), `node:crypto, length ${length}`);
          const fromSodium = sodium.crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, ad ?? null, null, nonce, key);
          assert.deepEqual(new Uint8Array(sealed), fromSodium, `libsodium, length ${length}`);
          assert.deepEqual(k.open(counter, sealed, ad, path), plaintext, `open, length ${length}`);
        }
      });

      it('open accepts what libsodium seals and rejects a flipped bit, releasing only zeros', () => {
        for (let length = 0; length <= SWEEP_MAX; length++) {
          const plaintext = text.subarray(0, length);
          const counter = randomCounter();
          const ad = adFor(length);
          const sealed = Buffer.from(
            sodium.crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, ad ?? null, null, wireGuardNonce(counter), key),
          );
          const dst = Buffer.alloc(length, 0xaa);
          assert.ok(k.openInto(counter, sealed, dst, ad, path), `length ${length}`);
          assert.deepEqual(dst, plaintext, `length ${length}`);
          const bit = randomBytes(4).readUInt32LE() % (sealed.length * 8);
          sealed[bit >> 3] ^= 1 << (bit & 7);
          dst.fill(0xaa);
          assert.equal(k.openInto(counter, sealed, dst, ad, path), null, `bit ${bit} of length ${length}`);
          assert.ok(dst.equals(Buffer.alloc(length)), `dst after a forged open, length ${length}`);
          assert.equal(k.openInto(counter, sealed, sealed, ad, path), null, `in place, length ${length}`);
          assert.ok(sealed.subarray(0, length).equals(Buffer.alloc(length)), `in place after a forged open, length ${length}`);
        }
      });

      it('sealMany and openMany over one batch of every length, every 7th packet forged', () => {
        const count = SWEEP_MAX + 1;
        const lengths = new Uint32Array(count).map((_, i) => i);
        const counters = new BigUint64Array(count).map(() => randomCounter());
        const total = lengths.reduce((a, b) => a + b, 0);
        const src = randomBytes(total);
        const sealed = Buffer.from(k.sealMany(counters, src, lengths, undefined, path));
        const sealedLengths = lengths.map((l) => l + TAG_SIZE);
        let forgeries = 0;
        let inAt = 0;
        let at = 0;
        for (let i = 0; i < count; i++) {
          const plaintext = src.subarray(inAt, inAt + i);
          const expected = nodeSeal(key, wireGuardNonce(counters[i]), plaintext);
          assert.deepEqual(sealed.subarray(at, at + i + TAG_SIZE), expected, `packet ${i}`);
          if (i % 7 === 3) {
            sealed[at + ((i * 31) % (i + TAG_SIZE))] ^= 0x10;
            forgeries++;
          }
          inAt += i;
          at += i + TAG_SIZE;
        }
        const result = k.openMany(counters, sealed, sealedLengths, sealed, path);
        assert.equal(result.opened, count - forgeries);
        inAt = 0;
        at = 0;
        for (let i = 0; i < count; i++) {
          const forged = i % 7 === 3;
          assert.equal(result.ok[i], forged ? 0 : 1, `packet ${i}`);
          const opened = sealed.subarray(at, at + i);
          if (forged) assert.ok(opened.equals(Buffer.alloc(i)), `forged packet ${i} released bytes`);
          else assert.deepEqual(opened, src.subarray(inAt, inAt + i), `packet ${i}`);
          inAt += i;
          at += i + TAG_SIZE;
        }
      });
    });

    describe('RFC 8439 vectors', () => {
      it('§2.8.2: seals the sunscreen text to the RFC ciphertext and tag (raw 12-byte nonce)', () => {
        const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
        // Constant 07000000 then IV 4041424344454647: not a WireGuard nonce, so the raw entry point.
        const nonce = hex('070000004041424344454647');
        const ad = hex('50515253c0c1c2c3c4c5c6c7');
        const plaintext = Buffer.from(
          "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
        );
        const expected = hex(
          'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b' +
            '1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc' +
            '3ff4def08e4b7a9de576d26586cec64b6116' +
            '1ae10b594f09e26a7e902ecbd0600691',
        );
        const k = new AeadKey(key);
        assert.deepEqual(k.sealWithNonce(nonce, plaintext, ad, path), expected);
        assert.deepEqual(k.openWithNonce(nonce, expected, ad, path), plaintext);
      });

      describe('Appendix A.5 decryption', () => {
        const key = hex('1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0');
        const ad = hex('f33388860000000000004e91');
        const sealed = hex(
          '64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb24c6cfc18755d43eea09ee94e382d26b0' +
            'bdb7b73c321b0100d4f03b7f355894cf332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855' +
            '9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4b9166c767b804d46a59b5216cde7a4e9' +
            '9040c5a40433225ee282a1b0a06c523eaf4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a' +
            '0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a1049e617d91d361094fa68f0ff77987130' +
            '305beaba2eda04df997b714d6c6f2c29a6ad5cb4022b02709b' +
            'eead9d67890cbb22392336fea1851f38',
        );
        const plaintext = Buffer.from(
          'Internet-Drafts are draft documents valid for a maximum of six months and may be updated, ' +
            'replaced, or obsoleted by other documents at any time. It is inappropriate to use ' +
            'Internet-Drafts as reference material or to cite them other than as /\u201cwork in progress./\u201d',
        );

        it('opens with the raw nonce 000000000102030405060708', () => {
          assert.deepEqual(new AeadKey(key).openWithNonce(hex('000000000102030405060708'), sealed, ad, path), plaintext);
        });

        it('opens through the WireGuard counter path: that nonce is counter 0x0807060504030201', () => {
          // The vector's nonce starts with 4 zero bytes, so it is a WireGuard nonce: this checks
          // the counter-to-nonce layout against the RFC itself.
          const k = new AeadKey(key);
          assert.deepEqual(k.open(0x0807060504030201n, sealed, ad, path), plaintext);
          assert.deepEqual(k.seal(0x0807060504030201n, plaintext, ad, path), sealed);
          assert.equal(k.open(0x0102030405060708n, sealed, ad, path), null, 'big-endian counter must not verify');
        });
      });
    });

    describe('WireGuard nonce layout against node:crypto', () => {
      const counters = [0n, 1n, 0xffn, 0x100n, 0xffffffffn, 0x100000000n, 2n ** 63n, 2n ** 64n - 1n, 0x0123456789abcdefn];
      for (const counter of counters) {
        it(`counter ${counter} seals like createCipheriv with nonce 00000000 || u64le(counter)`, () => {
          const key = randomBytes(32);
          const plaintext = randomBytes(100);
          const ad = randomBytes(7);
          const expected = nodeSeal(key, wireGuardNonce(counter), plaintext, ad);
          const k = new AeadKey(key);
          assert.deepEqual(k.seal(counter, plaintext, ad, path), expected);
          assert.deepEqual(k.open(counter, expected, ad, path), plaintext);
          assert.deepEqual(k.sealWithNonce(wireGuardNonce(counter), plaintext, ad, path), expected);
        });
      }
    });

    describe('round trips', () => {
      for (const length of [0, 1, 15, 16, 17, 1420, 65535]) {
        it(`length ${length}: seal matches node:crypto and open restores the plaintext`, () => {
          const key = randomBytes(32);
          const k = new AeadKey(key);
          const plaintext = randomBytes(length);
          for (const ad of [undefined, randomBytes(32)]) {
            const sealed = k.seal(42n, plaintext, ad, path);
            assert.equal(sealed.length, length + TAG_SIZE);
            assert.deepEqual(sealed, nodeSeal(key, wireGuardNonce(42n), plaintext, ad));
            assert.deepEqual(k.open(42n, sealed, ad, path), plaintext);
          }
        });
      }

      it('one-shot seal/open functions agree with AeadKey', () => {
        const key = randomBytes(32);
        const plaintext = randomBytes(64);
        const sealed = seal(key, 9n, plaintext);
        assert.deepEqual(sealed, new AeadKey(key).seal(9n, plaintext));
        assert.deepEqual(open(key, 9n, sealed), plaintext);
        assert.equal(open(randomBytes(32), 9n, sealed), null);
      });
    });

    describe('forgeries are rejected', () => {
      const key = randomBytes(32);
      const k = new AeadKey(key);
      const plaintext = randomBytes(200);
      const ad = randomBytes(16);
      const sealed = k.seal(7n, plaintext, ad, path);

      const flipped = (b: Buffer, i: number): Buffer => {
        const copy = Buffer.from(b);
        copy[i] ^= 0x01;
        return copy;
      };

      it('a flipped bit anywhere in the ciphertext or the tag', () => {
        for (let i = 0; i < sealed.length; i++) {
          assert.equal(k.open(7n, flipped(sealed, i), ad, path), null, `byte ${i}`);
        }
      });

      it('a flipped bit in the AD, missing or extra AD', () => {
        for (let i = 0; i < ad.length; i++) assert.equal(k.open(7n, sealed, flipped(ad, i), path), null, `AD byte ${i}`);
        assert.equal(k.open(7n, sealed, undefined, path), null);
        assert.equal(k.open(7n, k.seal(7n, plaintext, undefined, path), ad, path), null);
      });

      it('a failed open leaves zeros in dst, not unauthenticated plaintext', () => {
        const inPlace = flipped(sealed, sealed.length - 1);
        assert.equal(k.openInto(7n, inPlace, inPlace, ad, path), null);
        assert.deepEqual(inPlace.subarray(0, plaintext.length), Buffer.alloc(plaintext.length));
        const dst = Buffer.alloc(plaintext.length, 0xaa);
        assert.equal(k.openInto(7n, flipped(sealed, 0), dst, ad, path), null);
        assert.deepEqual(dst, Buffer.alloc(plaintext.length));
      });

      it('the wrong counter or the wrong key', () => {
        assert.equal(k.open(8n, sealed, ad, path), null);
        assert.equal(new AeadKey(randomBytes(32)).open(7n, sealed, ad, path), null);
      });

      it('packets shorter than a tag, or truncated', () => {
        for (const length of [0, 1, 15]) assert.equal(k.open(7n, sealed.subarray(0, length), ad, path), null);
        assert.equal(k.open(7n, sealed.subarray(0, sealed.length - 1), ad, path), null);
        assert.deepEqual(k.open(0n, k.seal(0n, Buffer.alloc(0), undefined, path), undefined, path), Buffer.alloc(0));
      });
    });

    describe('in place', () => {
      it('seals and opens inside one buffer', () => {
        const key = randomBytes(32);
        const k = new AeadKey(key);
        const plaintext = randomBytes(1420);
        const buffer = Buffer.alloc(plaintext.length + TAG_SIZE);
        plaintext.copy(buffer);
        const sealed = k.sealInto(5n, buffer.subarray(0, plaintext.length), buffer, undefined, path);
        assert.equal(sealed.buffer, buffer.buffer);
        assert.deepEqual(Buffer.from(sealed), nodeSeal(key, wireGuardNonce(5n), plaintext));
        const opened = k.openInto(5n, buffer, buffer, undefined, path);
        assert.ok(opened);
        assert.deepEqual(Buffer.from(opened), plaintext);
      });

      it('refuses a dst that overlaps the source without starting at it', () => {
        const k = new AeadKey(randomBytes(32));
        const buffer = Buffer.alloc(200);
        assert.throws(() => k.sealInto(1n, buffer.subarray(0, 100), buffer.subarray(1)), RangeError);
        assert.throws(() => k.openInto(1n, buffer.subarray(10, 150), buffer.subarray(0, 140)), RangeError);
      });
    });

    describe('batches', () => {
      const key = randomBytes(32);
      const k = new AeadKey(key);
      const lengths = new Uint32Array([0, 1, 17, 1420, 64, 512]);
      const counters = new BigUint64Array([10n, 11n, 2n ** 64n - 1n, 3n, 0n, 99n]);
      const total = lengths.reduce((a, b) => a + b, 0);
      const src = randomBytes(total);

      it('sealMany lays out the same packets as one seal each', () => {
        const sealed = k.sealMany(counters, src, lengths, undefined, path);
        let inAt = 0;
        let outAt = 0;
        lengths.forEach((length, i) => {
          const one = k.seal(counters[i], src.subarray(inAt, inAt + length), undefined, path);
          assert.deepEqual(Buffer.from(sealed.subarray(outAt, outAt + length + TAG_SIZE)), one, `packet ${i}`);
          inAt += length;
          outAt += length + TAG_SIZE;
        });
        assert.equal(outAt, sealed.length);
      });

      it('openMany opens in place and flags the forged packet', () => {
        const sealed = Buffer.from(k.sealMany(counters, src, lengths, undefined, path));
        const sealedLengths = lengths.map((l) => l + TAG_SIZE);
        const forged = 3;
        const forgedAt = sealedLengths.subarray(0, forged).reduce((a, b) => a + b, 0);
        sealed[forgedAt + 5] ^= 0x80;
        const result = k.openMany(counters, sealed, sealedLengths, sealed, path);
        assert.equal(result.opened, lengths.length - 1);
        assert.deepEqual([...result.ok], [1, 1, 1, 0, 1, 1]);
        let inAt = 0;
        let at = 0;
        lengths.forEach((length, i) => {
          if (i !== forged) {
            assert.deepEqual(sealed.subarray(at, at + length), src.subarray(inAt, inAt + length), `packet ${i}`);
          }
          inAt += length;
          at += length + TAG_SIZE;
        });
      });

      it('rejects inconsistent batch arguments', () => {
        assert.throws(() => k.sealMany(counters, src, new Uint32Array(2)), RangeError);
        assert.throws(() => k.sealMany(counters, src.subarray(1), lengths), RangeError);
        assert.throws(() => k.sealMany(counters, src, lengths, Buffer.alloc(total)), RangeError);
        assert.throws(() => k.sealMany(counters, src, lengths, src), RangeError);
        assert.throws(() => k.sealMany([1n] as unknown as BigUint64Array, src, lengths), TypeError);
        assert.throws(() => k.openMany(counters, src, new Float64Array(6) as unknown as Uint32Array), TypeError);
      });
    });
  });
  }

  describe('bad input throws, never crashes', () => {
    const k = new AeadKey(randomBytes(32));
    const bytes = Buffer.alloc(32);

    it('key of the wrong length or type', () => {
      assert.throws(() => new AeadKey(Buffer.alloc(31)), RangeError);
      assert.throws(() => new AeadKey(Buffer.alloc(33)), RangeError);
      assert.throws(() => new AeadKey('00'.repeat(32) as unknown as Uint8Array), TypeError);
      assert.throws(() => seal(Buffer.alloc(16), 0n, bytes), RangeError);
    });

    it('counter out of range or not a bigint', () => {
      assert.throws(() => k.seal(-1n, bytes), RangeError);
      assert.throws(() => k.seal(2n ** 64n, bytes), RangeError);
      assert.throws(() => k.open(2n ** 64n, bytes), RangeError);
      assert.throws(() => k.seal(1 as unknown as bigint, bytes), TypeError);
      assert.throws(() => k.open('1' as unknown as bigint, bytes), TypeError);
    });

    it('data, AD, nonce or dst of the wrong type or size', () => {
      assert.throws(() => k.seal(0n, 'text' as unknown as Uint8Array), TypeError);
      assert.throws(() => k.seal(0n, bytes, [1, 2] as unknown as Uint8Array), TypeError);
      assert.throws(() => k.open(0n, new Uint16Array(20) as unknown as Uint8Array), TypeError);
      assert.throws(() => k.sealWithNonce(Buffer.alloc(11), bytes), RangeError);
      assert.throws(() => k.openWithNonce(Buffer.alloc(13), bytes), RangeError);
      assert.throws(() => k.sealInto(0n, bytes, Buffer.alloc(bytes.length + TAG_SIZE - 1)), RangeError);
      assert.throws(() => k.openInto(0n, bytes, Buffer.alloc(bytes.length - TAG_SIZE - 1)), RangeError);
    });

    it('a path that is not available, or not a string', () => {
      assert.throws(() => k.seal(0n, bytes, undefined, 'boringssl' as unknown as 'openssl'), RangeError);
      assert.throws(() => k.open(0n, bytes, undefined, 7 as unknown as 'openssl'), TypeError);
      assert.throws(() => k.sealMany(new BigUint64Array(0), bytes, new Uint32Array(0), undefined, '' as unknown as 'openssl'), RangeError);
      const raw = new (loadNative().AeadKey)(randomBytes(32));
      const call = raw.seal as unknown as (...args: unknown[]) => unknown;
      assert.throws(() => call.call(raw, 0n, bytes, null, Buffer.alloc(48), 'nope'), RangeError);
      assert.throws(() => call.call(raw, 0n, bytes, null, Buffer.alloc(48), 1), TypeError);
      const many = raw.openMany as unknown as (...args: unknown[]) => unknown;
      assert.throws(
        () => many.call(raw, new BigUint64Array(1), bytes, new Uint32Array([32]), Buffer.alloc(32), new Uint8Array(1), {}),
        TypeError,
      );
    });

    it('a destroyed key', () => {
      const doomed = new AeadKey(randomBytes(32));
      doomed.destroy();
      assert.throws(() => doomed.seal(0n, bytes), /destroyed/);
    });

    it('the raw addon checks its arguments too', () => {
      const { AeadKey: NativeKey } = loadNative();
      assert.throws(() => new NativeKey(Buffer.alloc(5)), RangeError);
      assert.throws(() => new (NativeKey as unknown as new () => unknown)(), TypeError);
      const raw = new NativeKey(randomBytes(32));
      const call = raw.seal as unknown as (...args: unknown[]) => unknown;
      assert.throws(() => call.call(raw, 0n, bytes, null), TypeError);
      assert.throws(() => call.call(raw, -5n, bytes, null, Buffer.alloc(64)), RangeError);
      assert.throws(() => call.call(raw, 0n, bytes, 'ad', Buffer.alloc(64)), TypeError);
      assert.throws(() => raw.seal(0n, bytes, null, Buffer.alloc(47)), RangeError);
      assert.throws(() => raw.sealMany(new BigUint64Array(1), bytes, new Uint32Array([33]), Buffer.alloc(100)), RangeError);
      assert.throws(() => raw.openMany(new BigUint64Array(2), bytes, new Uint32Array([16, 16]), Buffer.alloc(32), new Uint8Array(1)), RangeError);
    });
  });
});
