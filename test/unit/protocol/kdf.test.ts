import assert from 'node:assert/strict';
import { createNativeCrypto } from '../../../src/crypto/native-crypto.js';
import type { Crypto } from '../../../src/protocol/crypto.js';
import { constructionConstants, kdf1, kdf2, kdf3 } from '../../../src/protocol/kdf.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

// wireguard-go device/kdf_test.go
const VECTORS = [
  {
    key: '746573742d6b6579',
    input: '746573742d696e707574',
    t: ['6f0e5ad38daba1bea8a0d213688736f19763239305e0f58aba697f9ffc41c633', 'df1194df20802a4fe594cde27e92991c8cae66c366e8106aaa937a55fa371e8a', 'fac6e2745a325f5dc5d11a5b165aad08b0ada28e7b4e666b7c077934a4d76c24'],
  },
  {
    key: '776972656775617264',
    input: '776972656775617264',
    t: ['491d43bbfdaa8750aaf535e334ecbfe5129967cd64635101c566d4caefda96e8', '1e71a379baefd8a79aa4662212fcafe19a23e2b609a3db7d6bcba8f560e3d25f', '31e1ae48bddfbe5de38f295e5452b1909a1b4e38e183926af3780b0c1e1f0160'],
  },
  {
    key: '',
    input: '',
    t: ['8387b46bf43eccfcf349552a095d8315c4055beb90208fb1be23b894bc2ed5d0', '58a0e5f6faefccf4807bff1f05fa8a9217945762040bcec2f4b4a62bdfe0e86e', '0ce6ea98ec548f8e281e93e32db65621c45eb18dc6f0a7ad94178610a2f7338e'],
  },
];

describe('protocol kdf and construction constants', () => {
  let crypto: Crypto;
  before(async () => {
    crypto = await createNativeCrypto();
  });

  it('derives Cᵢ and Hᵢ', () => {
    const { chainingKey, hash } = constructionConstants(crypto);
    assert.match(hex(chainingKey), /^60e26dae.*cd36$/);
    assert.match(hex(hash), /^2211b361.*9ef3$/);
    assert.equal(chainingKey.length, 32);
  });

  for (const [i, v] of VECTORS.entries()) {
    it(`matches wireguard-go's KDF vector ${i + 1} for KDF1, KDF2 and KDF3`, () => {
      const key = bytes(v.key);
      const input = bytes(v.input);
      assert.deepEqual(kdf3(crypto, key, input).map(hex), v.t);
      assert.deepEqual(kdf2(crypto, key, input).map(hex), v.t.slice(0, 2));
      assert.equal(hex(kdf1(crypto, key, input)), v.t[0]);
    });
  }

  it('agrees on X25519 both ways and rejects a low-order point', () => {
    const a = crypto.generateKeypair();
    const b = crypto.importPrivateKey(new Uint8Array(32).fill(7));
    const ab = crypto.dh(a, b.publicKey);
    assert.ok(ab);
    assert.deepEqual(crypto.dh(b, a.publicKey), ab);
    assert.equal(crypto.dh(a, new Uint8Array(32)), undefined);
    assert.equal(crypto.dh(a, new Uint8Array(31)), undefined);
  });

  it('seals with the 64-bit counter nonce and refuses tampering', () => {
    const key = new Uint8Array(32).fill(1);
    const ad = Uint8Array.of(9);
    const sealed = crypto.aeadSeal(key, 1n << 40n, Uint8Array.of(1, 2, 3), ad);
    assert.equal(sealed.length, 19);
    assert.deepEqual(crypto.aeadOpen(key, 1n << 40n, sealed, ad), Uint8Array.of(1, 2, 3));
    assert.equal(crypto.aeadOpen(key, 1n, sealed, ad), undefined);
    assert.equal(crypto.aeadOpen(key, 1n << 40n, sealed.subarray(0, 10), ad), undefined);
  });
});
