// Whole WireGuard handshakes between a device on the native Crypto and a device on the
// JavaScript one, each side as initiator and as responder, with and without a preshared key,
// and with cookies under load: both ends must derive the same session keys, so the native
// primitives are byte-compatible with the reference wherever the protocol uses them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createJsCrypto } from '../../src/crypto/js-crypto.js';
import { createNativeCrypto } from '../../src/crypto/native-crypto.js';
import { systemRandom } from '../../src/crypto/system-random.js';
import type { Crypto } from '../../src/protocol/crypto.js';
import { ProtocolCore } from '../../src/protocol/core.js';
import type { IpEndpoint } from '../../src/config/endpoint.js';
import type { Keypair } from '../../src/protocol/keypairs.js';
import type { ProtocolAction } from '../../src/protocol/peer.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const endpointOf = (last: number): IpEndpoint => ({ address: { family: 4, bytes: Uint8Array.of(192, 0, 2, last) }, port: 51820 });

function sent(actions: ProtocolAction[]): Uint8Array[] {
  return actions.flatMap((a) => (a.type === 'send' ? [a.packet] : []));
}

function newestKeypair(actions: ProtocolAction[]): Keypair | undefined {
  return actions.flatMap((a) => (a.type === 'installKeypair' ? [a.keypair] : [])).at(-1);
}

interface Pair {
  initiator: ProtocolCore;
  responder: ProtocolCore;
}

function pair(initiatorCrypto: Crypto, responderCrypto: Crypto, presharedKey?: Uint8Array): Pair {
  const initiator = new ProtocolCore({ crypto: initiatorCrypto, random: systemRandom, wallClock: Date.now });
  const responder = new ProtocolCore({ crypto: responderCrypto, random: systemRandom, wallClock: Date.now });
  initiator.setPrivateKey(Uint8Array.from(randomBytes(32)));
  responder.setPrivateKey(Uint8Array.from(randomBytes(32)));
  initiator.addPeer(1, { publicKey: responder.publicKey as Uint8Array, endpoint: endpointOf(2), presharedKey }, 0);
  responder.addPeer(7, { publicKey: initiator.publicKey as Uint8Array, presharedKey }, 0);
  return { initiator, responder };
}

/** Runs one handshake (answering a cookie reply once when the responder is under load). */
function handshake({ initiator, responder }: Pair, queuedHandshakes = 0): { initiatorKeys: Keypair; responderKeys: Keypair } {
  const peer = initiator.peer(1);
  assert.ok(peer);
  let [initiation] = sent(peer.needHandshake(0));
  let answer = responder.receive(initiation, endpointOf(1), 1, queuedHandshakes).actions;
  if (queuedHandshakes > 0) {
    const [cookieReply] = sent(answer);
    assert.equal(cookieReply?.[0], 3, 'a responder under load answers with a cookie reply');
    initiator.receive(cookieReply, endpointOf(2), 2);
    [initiation] = sent(peer.needHandshake(6000));
    answer = responder.receive(initiation, endpointOf(1), 6001, queuedHandshakes).actions;
  }
  const responderKeys = newestKeypair(answer);
  const [response] = sent(answer);
  assert.ok(responderKeys && response, 'the responder accepted the initiation');
  const initiatorKeys = newestKeypair(initiator.receive(response, endpointOf(2), 6002).actions);
  assert.ok(initiatorKeys, 'the initiator accepted the response');
  return { initiatorKeys, responderKeys };
}

function assertSameSession({ initiatorKeys, responderKeys }: ReturnType<typeof handshake>): void {
  assert.equal(initiatorKeys.isInitiator, true);
  assert.equal(responderKeys.isInitiator, false);
  assert.equal(hex(initiatorKeys.sendKey), hex(responderKeys.receiveKey));
  assert.equal(hex(initiatorKeys.receiveKey), hex(responderKeys.sendKey));
  assert.notEqual(hex(initiatorKeys.sendKey), hex(initiatorKeys.receiveKey));
  assert.equal(initiatorKeys.remoteIndex, responderKeys.localIndex);
  assert.equal(responderKeys.remoteIndex, initiatorKeys.localIndex);
}

describe('handshakes between the native and the JavaScript Crypto', () => {
  let native: Crypto;
  let js: Crypto;
  before(async () => {
    native = await createNativeCrypto();
    js = await createJsCrypto();
  });

  for (const [name, from, to] of [
    ['native initiator, JavaScript responder', () => native, () => js],
    ['JavaScript initiator, native responder', () => js, () => native],
    ['native on both ends', () => native, () => native],
  ] as const) {
    it(`${name}: same session keys, without and with a preshared key`, () => {
      assertSameSession(handshake(pair(from(), to())));
      assertSameSession(handshake(pair(from(), to(), Uint8Array.from(randomBytes(32)))));
    });

    it(`${name}: same session keys through a cookie reply under load`, () => {
      assertSameSession(handshake(pair(from(), to()), 10_000));
    });
  }

  it('a preshared key on one side only makes the handshake fail', () => {
    const p = pair(native, js);
    p.responder.peer(7)?.setPresharedKey(Uint8Array.from(randomBytes(32)));
    assert.throws(() => handshake(p), /the initiator accepted the response/);
  });
});
