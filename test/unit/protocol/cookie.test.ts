import assert from 'node:assert/strict';
import { COOKIE_SECRET_LATENCY, COOKIE_SECRET_MAX_AGE } from '../../../src/protocol/constants.js';
import { CookieChecker, PeerCookie } from '../../../src/protocol/cookie.js';
import { createNativeCrypto } from '../../../src/crypto/native-crypto.js';
import type { Crypto } from '../../../src/protocol/crypto.js';
import { decodeCookieReply } from '../../../src/protocol/messages.js';
import { endpoint, SeededRandom } from './harness.js';

describe('protocol cookies', () => {
  let crypto: Crypto;
  let responderKey: Uint8Array;
  before(async () => {
    crypto = await createNativeCrypto();
    responderKey = crypto.generateKeypair().publicKey;
  });

  const message = (): Uint8Array => new SeededRandom(5).bytes(148);
  const src = endpoint('203.0.113.9', 1234);

  it('mac1 alone passes when not under load; mac2 needs the cookie of that source', () => {
    const checker = new CookieChecker(crypto, new SeededRandom(1));
    checker.setPublicKey(responderKey);
    const initiator = new PeerCookie(crypto, responderKey);
    const m = message();
    initiator.addMacs(m, 0);
    assert.equal(checker.check(m, src, false, 0), 'validMac1');
    assert.equal(checker.check(m, src, true, 0), 'validMac1', 'mac2 is zero without a cookie');
    assert.deepEqual(m.subarray(132), new Uint8Array(16));
    const reply = decodeCookieReply(checker.createReply(m, 77, src, 0));
    assert.ok(reply.ok);
    assert.equal(reply.message.receiverIndex, 77);
    assert.ok(initiator.consumeReply(reply.message, 10));
    assert.equal(initiator.consumeReply(reply.message, 10), false, 'a reply is taken once');
    initiator.addMacs(m, 20);
    assert.notDeepEqual(m.subarray(132), new Uint8Array(16));
    assert.equal(checker.check(m, src, true, 20), 'validMac2');
    assert.equal(checker.check(m, endpoint('203.0.113.9', 1235), true, 20), 'validMac1', 'another port, another cookie');
    m[0] ^= 1;
    assert.equal(checker.check(m, src, true, 20), 'invalidMac1');
  });

  it('rotates the secret after COOKIE_SECRET_MAX_AGE and stops using an old cookie in time', () => {
    const checker = new CookieChecker(crypto, new SeededRandom(2));
    checker.setPublicKey(responderKey);
    const initiator = new PeerCookie(crypto, responderKey);
    const m = message();
    initiator.addMacs(m, 0);
    const reply = decodeCookieReply(checker.createReply(m, 1, src, 0));
    assert.ok(reply.ok && initiator.consumeReply(reply.message, 0));
    const late = COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY;
    assert.ok(initiator.hasFreshCookie(late - 1));
    assert.equal(initiator.hasFreshCookie(late), false);
    initiator.addMacs(m, late - 1);
    assert.equal(checker.check(m, src, true, COOKIE_SECRET_MAX_AGE - 1), 'validMac2');
    assert.equal(checker.check(m, src, true, COOKIE_SECRET_MAX_AGE), 'validMac1', 'secret rotated');
  });

  it('refuses a cookie reply under another key or for another message', () => {
    const checker = new CookieChecker(crypto, new SeededRandom(3));
    checker.setPublicKey(responderKey);
    const initiator = new PeerCookie(crypto, crypto.generateKeypair().publicKey);
    const m = message();
    initiator.addMacs(m, 0);
    const reply = decodeCookieReply(checker.createReply(m, 1, src, 0));
    assert.ok(reply.ok);
    assert.equal(initiator.consumeReply(reply.message, 0), false);
    const fresh = new PeerCookie(crypto, responderKey);
    assert.equal(fresh.consumeReply(reply.message, 0), false, 'nothing sent yet');
    const unkeyed = new CookieChecker(crypto, new SeededRandom(4));
    assert.equal(unkeyed.check(m, src, false, 0), 'invalidMac1');
  });
});
