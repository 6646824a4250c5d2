import assert from 'node:assert/strict';
import { KEEPALIVE_TIMEOUT, MAX_TIMER_HANDSHAKES, REKEY_TIMEOUT, REKEY_TIMEOUT_JITTER_MAX, ZERO_KEYS_AFTER_TIME } from '../../../src/protocol/constants.js';
import { PeerTimers } from '../../../src/protocol/timers.js';
import { SeededRandom } from './harness.js';

describe('protocol timers', () => {
  it('retransmits with jitter, counts attempts and gives up after MAX_TIMER_HANDSHAKES', () => {
    const t = new PeerTimers(new SeededRandom(3));
    t.handshakeInitiated(0);
    let sent = 0;
    let now = 0;
    const jitters = new Set<number>();
    for (;;) {
      const d = t.nextDeadline();
      assert.ok(d !== undefined);
      jitters.add(d - now - REKEY_TIMEOUT);
      now = d;
      const actions = t.tick(now);
      if (actions.some((a) => a.type === 'dropStaged')) break;
      assert.deepEqual(actions, [{ type: 'clearEndpointSource' }, { type: 'sendInitiation', retry: true }]);
      sent++;
      t.handshakeInitiated(now);
    }
    assert.equal(sent, MAX_TIMER_HANDSHAKES + 1);
    for (const j of jitters) assert.ok(j >= 0 && j < REKEY_TIMEOUT_JITTER_MAX);
    assert.ok(jitters.size > 5);
    assert.equal(t.deadlines.get('zeroKeyMaterial'), now + ZERO_KEYS_AFTER_TIME);
    assert.deepEqual(t.tick(now + ZERO_KEYS_AFTER_TIME), [{ type: 'zeroKeys' }]);
    assert.equal(t.nextDeadline(), undefined);
  });

  it('handshakeComplete stops retransmission and resets attempts', () => {
    const t = new PeerTimers(new SeededRandom(4));
    t.handshakeInitiated(0);
    t.tick(6000);
    assert.equal(t.handshakeAttempts, 1);
    t.handshakeComplete(6100);
    assert.equal(t.handshakeAttempts, 0);
    assert.equal(t.deadlines.has('retransmitHandshake'), false);
  });

  it('keepalive: armed by data received, cancelled by any send, repeated when more data came', () => {
    const t = new PeerTimers(new SeededRandom(5));
    t.dataReceived(0);
    t.dataReceived(3000);
    assert.equal(t.needAnotherKeepalive, true);
    assert.deepEqual(t.tick(KEEPALIVE_TIMEOUT), [{ type: 'sendKeepalive' }]);
    assert.equal(t.deadlines.get('sendKeepalive'), 2 * KEEPALIVE_TIMEOUT);
    t.anyAuthenticatedPacketSent(KEEPALIVE_TIMEOUT + 1);
    assert.deepEqual(t.tick(3 * KEEPALIVE_TIMEOUT), []);
  });

  it('new handshake when data sent is not answered; persistent keepalive on traversal', () => {
    const t = new PeerTimers(new SeededRandom(6));
    t.dataSent(0);
    const d = t.deadlines.get('newHandshake') as number;
    assert.ok(d >= KEEPALIVE_TIMEOUT + REKEY_TIMEOUT && d < KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + REKEY_TIMEOUT_JITTER_MAX);
    t.dataSent(1000);
    assert.equal(t.deadlines.get('newHandshake'), d, 'not pushed back by more sends');
    t.anyAuthenticatedPacketReceived(2000);
    assert.equal(t.deadlines.has('newHandshake'), false);
    t.dataSent(3000);
    assert.deepEqual(t.tick(30_000), [{ type: 'sendInitiation', retry: false }]);

    assert.deepEqual(t.persistentKeepaliveChanged(20_000), [{ type: 'sendKeepalive' }], 'turned on');
    assert.deepEqual(t.persistentKeepaliveChanged(25_000), [], 'changed while on: no extra keepalive');
    assert.equal(t.deadlines.has('persistentKeepalive'), false, 'armed by the next traversal only');
    t.anyAuthenticatedPacketTraversal(50_000);
    assert.deepEqual(t.tick(74_999), []);
    assert.deepEqual(t.tick(75_000), [{ type: 'sendKeepalive' }]);
    t.persistentKeepaliveChanged(0);
    t.anyAuthenticatedPacketTraversal(76_000);
    assert.equal(t.nextDeadline(), undefined);
  });

  it('sessionDerived re-arms key zeroing', () => {
    const t = new PeerTimers(new SeededRandom(7));
    t.sessionDerived(0);
    t.sessionDerived(100_000);
    assert.deepEqual(t.tick(ZERO_KEYS_AFTER_TIME), []);
    assert.deepEqual(t.tick(100_000 + ZERO_KEYS_AFTER_TIME), [{ type: 'zeroKeys' }]);
  });
});
