import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { clampPrivateKey, isZeroKey, keyFromBase64, keyFromHex, keysEqual, keyToBase64, keyToHex } from '../../src/config/keys.js';

describe('config/keys', () => {
  it('round-trips random keys through base64 and hex', () => {
    for (let i = 0; i < 200; i++) {
      const key = new Uint8Array(randomBytes(32));
      const b64 = keyToBase64(key);
      const hex = keyToHex(key);
      assert.equal(b64.length, 44);
      assert.match(hex, /^[0-9a-f]{64}$/);
      assert.deepEqual(keyFromBase64(b64), key);
      assert.deepEqual(keyFromHex(hex), key);
      assert.deepEqual(keyFromHex(hex.toUpperCase()), key);
    }
  });

  it('converts a known key between forms', () => {
    const b64 = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
    const hex = 'c809f3e5317e9575c9b5ed78b638b7ce530dabe85ddab6142202418 01ddf0669'.replace(' ', '');
    assert.equal(keyToHex(keyFromBase64(b64)!), hex);
    assert.equal(keyToBase64(keyFromHex(hex)!), b64);
  });

  it('rejects base64 that is not exactly 32 bytes with canonical padding', () => {
    const good = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
    for (const bad of [
      '',
      good.slice(0, -1), // no padding
      `${good}=`, // too long
      good.replace('=', 'A'), // no '=' at the end
      `${good.slice(0, 42)}l=`, // 'l' leaves low bits set: not what wg encodes
      good.replace('+', '-'), // base64url alphabet
      ` ${good.slice(1)}`,
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==', // 31 bytes
    ]) {
      assert.equal(keyFromBase64(bad), undefined, bad);
    }
  });

  it('rejects hex that is not exactly 64 hex digits', () => {
    for (const bad of ['', '0'.repeat(63), '0'.repeat(65), `${'0'.repeat(63)}g`, `0x${'0'.repeat(62)}`]) {
      assert.equal(keyFromHex(bad), undefined, bad);
    }
  });

  it('detects the all-zero key and compares keys', () => {
    assert.equal(isZeroKey(new Uint8Array(32)), true);
    const key = new Uint8Array(32);
    key[31] = 1;
    assert.equal(isZeroKey(key), false);
    assert.equal(keysEqual(key, Uint8Array.from(key)), true);
    assert.equal(keysEqual(key, new Uint8Array(32)), false);
  });

  it('clamps private keys as X25519 does, leaving the zero key alone', () => {
    const key = new Uint8Array(32).fill(0xff);
    assert.deepEqual([...clampPrivateKey(key)].filter((_, i) => i === 0 || i === 31), [0xf8, 0x7f]);
    assert.equal(key[0], 0xff, 'the input is not modified');
    assert.deepEqual([...clampPrivateKey(new Uint8Array(32).fill(1))].filter((_, i) => i === 0 || i === 31), [0, 0x41]);
    assert.equal(isZeroKey(clampPrivateKey(new Uint8Array(32))), true);
  });

  it('refuses to encode something that is not a 32-byte key', () => {
    assert.throws(() => keyToBase64(new Uint8Array(31)), RangeError);
    assert.throws(() => keyToHex('abc' as unknown as Uint8Array), TypeError);
    assert.throws(() => isZeroKey(new Uint8Array(33)), RangeError);
  });
});
