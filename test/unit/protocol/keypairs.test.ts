import assert from 'node:assert/strict';
import { REJECT_AFTER_MESSAGES, REJECT_AFTER_TIME } from '../../../src/protocol/constants.js';
import { Keypairs, receiveAllowed, takeSendCounter, type Keypair } from '../../../src/protocol/keypairs.js';

function kp(localIndex: number, isInitiator: boolean, createdAt = 0): Keypair {
  return { localIndex, remoteIndex: localIndex + 1000, sendKey: new Uint8Array(32).fill(1), receiveKey: new Uint8Array(32).fill(2), isInitiator, createdAt, sendCounter: 0n };
}

describe('protocol keypairs', () => {
  it('the initiator installs as current and slides current to previous', () => {
    const destroyed: number[] = [];
    const k = new Keypairs((x) => destroyed.push(x.localIndex));
    k.add(kp(1, true));
    k.add(kp(2, true));
    assert.equal(k.current?.localIndex, 2);
    assert.equal(k.previous?.localIndex, 1);
    k.add(kp(3, true));
    assert.deepEqual(destroyed, [1]);
    assert.equal(k.previous?.localIndex, 2);
  });

  it('the responder parks in next until data arrives under it', () => {
    const destroyed: Keypair[] = [];
    const k = new Keypairs((x) => destroyed.push(x));
    const slot = (name: 'previous' | 'current' | 'next'): number | undefined => k[name]?.localIndex;
    k.add(kp(1, true));
    k.add(kp(2, false));
    assert.equal(slot('current'), 1);
    assert.equal(slot('next'), 2);
    assert.equal(k.receivedWith(1), false, 'current is no confirmation');
    assert.equal(k.receivedWith(2), true);
    assert.equal(slot('current'), 2);
    assert.equal(slot('previous'), 1);
    assert.equal(k.next, undefined);
    assert.equal(k.receivedWith(2), false, 'only once');
    // A second unconfirmed responder keypair replaces the first one in next and drops previous.
    k.add(kp(3, false));
    k.add(kp(4, false));
    assert.equal(slot('next'), 4);
    assert.equal(k.previous, undefined);
    assert.deepEqual(destroyed.map((x) => x.localIndex), [1, 3]);
    assert.deepEqual(destroyed[0].sendKey, new Uint8Array(32), 'zeroed');
    // The initiator's new keypair demotes an unconfirmed next to previous and drops current.
    k.add(kp(5, true));
    assert.equal(slot('current'), 5);
    assert.equal(slot('previous'), 4);
    assert.equal(k.next, undefined);
    assert.deepEqual(destroyed.map((x) => x.localIndex), [1, 3, 2]);
    assert.equal(k.lookup(4)?.localIndex, 4);
    k.clear();
    assert.equal(k.lookup(5), undefined);
    assert.deepEqual(destroyed.map((x) => x.localIndex), [1, 3, 2, 4, 5]);
  });

  it('expires by age and by message count', () => {
    const k = new Keypairs(() => undefined);
    const a = kp(1, true, 1000);
    k.add(a);
    assert.equal(k.sendable(1000 + REJECT_AFTER_TIME - 1), a);
    assert.equal(k.sendable(1000 + REJECT_AFTER_TIME), undefined);
    assert.equal(takeSendCounter(a, 1000), 0n);
    assert.equal(takeSendCounter(a, 1000), 1n);
    a.sendCounter = REJECT_AFTER_MESSAGES - 1n;
    assert.equal(takeSendCounter(a, 1000), REJECT_AFTER_MESSAGES - 1n);
    assert.equal(takeSendCounter(a, 1000), undefined, 'nonce space exhausted');
    assert.equal(k.sendable(1000), undefined);
    assert.ok(receiveAllowed(a, REJECT_AFTER_MESSAGES - 1n, 1000));
    assert.equal(receiveAllowed(a, REJECT_AFTER_MESSAGES, 1000), false);
    assert.equal(k.expire(1000 + REJECT_AFTER_TIME - 1), false);
    assert.equal(k.expire(1000 + REJECT_AFTER_TIME), true);
    assert.equal(k.current, undefined);
  });
});
