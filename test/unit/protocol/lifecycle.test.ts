import assert from 'node:assert/strict';
import {
  KEEPALIVE_TIMEOUT,
  REJECT_AFTER_TIME,
  REKEY_AFTER_MESSAGES,
  REKEY_AFTER_TIME,
  REKEY_TIMEOUT,
  REKEY_TIMEOUT_JITTER_MAX,
  ZERO_KEYS_AFTER_TIME,
} from '../../../src/protocol/constants.js';
import { pair, str, text, type SimNode } from './harness.js';

function handshakeCount(node: SimNode): number {
  return node.initiationsSent.length;
}

describe('protocol lifecycle (two in-memory peers, fake clock)', () => {
  it('completes the first handshake; the responder confirms its keypair on the first data message', async () => {
    const { net, a, b } = await pair({ psk: true });
    a.sendData(1, text('hello'));
    assert.equal(a.staged.get(1)?.length, 1, 'staged until the handshake completes');
    assert.equal(handshakeCount(a), 1);
    // Deliver only the initiation: b answers and parks its keypair in `next`.
    const initiation = net['queue'].shift();
    assert.ok(initiation);
    b.deliver(initiation.packet, initiation.from);
    const bSlots = b.slots.get(2);
    assert.ok(bSlots?.next, 'responder keypair waits in next');
    assert.equal(bSlots.current, undefined);
    assert.equal(b.device.stats.initiationsAccepted, 1);
    net.flush();
    assert.equal(a.device.stats.responsesAccepted, 1);
    const aSlots = a.slots.get(1);
    assert.ok(aSlots?.current, 'initiator uses its keypair at once');
    assert.equal(aSlots.current.isInitiator, true);
    const bAfter = b.slots.get(2);
    assert.ok(bAfter?.current, 'next became current on the first data message');
    assert.equal(bAfter.next, undefined);
    assert.equal(bAfter.current.localIndex, aSlots.current.remoteIndex);
    assert.equal(bAfter.current.remoteIndex, aSlots.current.localIndex);
    assert.deepEqual(bAfter.current.receiveKey, aSlots.current.sendKey);
    assert.deepEqual(bAfter.current.sendKey, aSlots.current.receiveKey);
    assert.deepEqual(b.received.map((r) => str(r.payload)), ['hello']);
    assert.equal(a.staged.get(1)?.length, 0);
    assert.deepEqual(b.device.peer(2)?.endpoint, a.address, 'responder learnt the endpoint');
    b.sendData(2, text('back'));
    net.flush();
    assert.deepEqual(a.received.map((r) => str(r.payload)), ['back']);
    assert.ok(a.device.peer(1)?.lastHandshakeWallMs);
    assert.ok(b.device.peer(2)?.lastHandshakeWallMs);
  });

  it('fails the handshake when the preshared keys differ', async () => {
    const { net, a, b } = await pair({ psk: true });
    b.device.peer(2)?.setPresharedKey(new Uint8Array(32).fill(9));
    a.sendData(1, text('x'));
    net.flush();
    assert.equal(a.device.stats.drops.get('decryptEmpty'), 1);
    assert.equal(a.slots.get(1)?.current, undefined);
    assert.equal(b.received.length, 0);
  });

  it('rekeys as initiator after REKEY_AFTER_TIME of use, keeping the old keypair as previous', async () => {
    const { net, a, b } = await pair();
    a.sendData(1, text('first'));
    net.flush();
    const first = a.slots.get(1)?.current;
    assert.ok(first);
    net.run(REKEY_AFTER_TIME - 1000, 1000, () => a.sendData(1, text('tick')));
    assert.equal(handshakeCount(a), 1, 'no rekey before 120 s');
    net.run(REKEY_AFTER_TIME + 2000, 1000, () => a.sendData(1, text('tick')));
    assert.equal(handshakeCount(a), 2, 'one rekey after 120 s');
    const slots = a.slots.get(1);
    assert.ok(slots?.current && slots.current !== first);
    assert.equal(slots.previous, first);
    assert.equal(b.slots.get(2)?.current?.localIndex, slots.current.remoteIndex);
    assert.equal(handshakeCount(b), 0, 'the responder never rekeyed by time');
  });

  it('rekeys after REKEY_AFTER_MESSAGES sent', async () => {
    const { net, a } = await pair();
    a.sendData(1, text('first'));
    net.flush();
    net.run(REKEY_TIMEOUT + 1000);
    const kp = a.slots.get(1)?.current;
    assert.ok(kp);
    kp.sendCounter = REKEY_AFTER_MESSAGES - 1n;
    a.sendData(1, text('at limit'));
    assert.equal(handshakeCount(a), 1, 'not past the limit yet');
    a.sendData(1, text('past limit'));
    assert.equal(handshakeCount(a), 2);
    net.flush();
    assert.notEqual(a.slots.get(1)?.current, kp);
  });

  it('stops using a keypair at REJECT_AFTER_TIME and stages packets for a new handshake', async () => {
    const { net, a, b } = await pair();
    a.sendData(1, text('first'));
    net.flush();
    net.run(REJECT_AFTER_TIME - 1000);
    assert.ok(a.slots.get(1)?.takeSendCounter(net.clock.now), 'still usable just before 180 s');
    assert.ok(b.slots.get(2)?.takeSendCounter(net.clock.now));
    net.run(REJECT_AFTER_TIME + 250);
    assert.equal(a.slots.get(1)?.takeSendCounter(net.clock.now), undefined, 'expired on the initiator');
    assert.equal(b.slots.get(2)?.takeSendCounter(net.clock.now), undefined, 'expired on the responder');
    const before = handshakeCount(a);
    net.lose = () => true;
    a.sendData(1, text('later'));
    assert.equal(a.staged.get(1)?.length, 1);
    assert.equal(handshakeCount(a), before + 1);
  });

  it('retries the initiation every REKEY_TIMEOUT plus jitter, then gives up and drops staged packets', async () => {
    const { net, a } = await pair();
    net.lose = () => true;
    a.sendData(1, text('lost'));
    net.run(200_000);
    const times = a.initiationsSent;
    assert.equal(times.length, 20, 'the kernel sends MAX_TIMER_HANDSHAKES + 2 initiations');
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    for (const gap of gaps) {
      assert.ok(gap >= REKEY_TIMEOUT && gap <= REKEY_TIMEOUT + REKEY_TIMEOUT_JITTER_MAX + 250, `gap ${gap}`);
    }
    assert.ok(new Set(gaps).size > 1, 'jitter varies the retries');
    assert.ok(times[times.length - 1] >= 90_000, 'kept trying for REKEY_ATTEMPT_TIME');
    assert.equal(a.droppedStaged.length, 1);
    assert.ok(a.droppedStaged[0] > times[times.length - 1]);
    assert.equal(a.staged.get(1)?.length, 0);
  });

  it('sends a passive keepalive KEEPALIVE_TIMEOUT after receiving data without sending any', async () => {
    const { net, a, b } = await pair();
    a.sendData(1, text('first'));
    net.flush();
    net.run(KEEPALIVE_TIMEOUT + 1000);
    assert.deepEqual(b.keepalivesSent, [KEEPALIVE_TIMEOUT], 'answering the first data message');
    a.sendData(1, text('one way'));
    const sentAt = net.clock.now;
    net.flush();
    net.run(sentAt + KEEPALIVE_TIMEOUT - 250);
    assert.equal(b.keepalivesSent.length, 1);
    net.run(sentAt + 3 * KEEPALIVE_TIMEOUT);
    assert.deepEqual(b.keepalivesSent, [KEEPALIVE_TIMEOUT, sentAt + KEEPALIVE_TIMEOUT], 'one keepalive per data burst');
    assert.equal(handshakeCount(a), 1, 'the keepalive kept the initiator from re-handshaking');
  });

  it('starts a new handshake KEEPALIVE_TIMEOUT + REKEY_TIMEOUT after sending data without hearing back', async () => {
    const { net, a, b } = await pair();
    a.sendData(1, text('first'));
    net.flush();
    net.run(KEEPALIVE_TIMEOUT + 1000);
    assert.equal(b.keepalivesSent.length, 1, "b's passive keepalive answered the first data message");
    net.lose = (s) => s.from === b.address;
    a.sendData(1, text('unanswered'));
    const sentAt = net.clock.now;
    net.run(sentAt + KEEPALIVE_TIMEOUT + REKEY_TIMEOUT - 250);
    assert.equal(handshakeCount(a), 1);
    net.run(sentAt + KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + REKEY_TIMEOUT_JITTER_MAX + 250);
    assert.equal(handshakeCount(a), 2);
    const at = a.initiationsSent[1] - sentAt;
    assert.ok(at >= KEEPALIVE_TIMEOUT + REKEY_TIMEOUT && at <= KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + REKEY_TIMEOUT_JITTER_MAX + 250, `${at}`);
  });

  it('sends persistent keepalives at the configured interval when idle', async () => {
    const { net, a } = await pair({ keepaliveA: 25 });
    net.flush();
    // Configuring it sent a keepalive at once (staged: it triggered the first handshake).
    assert.equal(handshakeCount(a), 1);
    assert.ok(a.slots.get(1)?.current);
    const sinceHandshake = a.keepalivesSent.length;
    net.run(100_000);
    const ticks = a.keepalivesSent.slice(sinceHandshake);
    assert.ok(ticks.length >= 3 && ticks.length <= 4, `${ticks.length} keepalives`);
    for (let i = 1; i < ticks.length; i++) assert.equal(ticks[i] - ticks[i - 1], 25_000);
    a.apply(a.device.peer(1)?.setPersistentKeepalive(0, net.clock.now) ?? []);
    const count = a.keepalivesSent.length;
    net.run(200_000);
    assert.equal(a.keepalivesSent.length, count, 'disabled');
  });

  it('zeroes every key REJECT_AFTER_TIME × 3 after the last session', async () => {
    const { net, a, b } = await pair();
    a.sendData(1, text('first'));
    net.flush();
    const indexTable = a.device['indexTable'] as unknown as { size: number };
    assert.equal(indexTable.size, 0, "the keypair's index went to the data plane with it");
    net.run(ZERO_KEYS_AFTER_TIME - 1000);
    assert.equal(a.slots.get(1)?.takeSendCounter(net.clock.now), undefined, 'expired long ago');
    assert.ok(a.slots.get(1)?.current, 'but held until the keys are zeroed, as in the kernel');
    const peer = a.device.peer(1);
    assert.ok(peer);
    net.run(ZERO_KEYS_AFTER_TIME + 250);
    assert.equal(peer.handshake.state, 'zeroed');
    assert.deepEqual(peer.handshake.chainingKey, new Uint8Array(32));
    assert.equal(a.slots.get(1)?.current, undefined, 'the data plane dropped the keypairs');
    assert.equal(indexTable.size, 0, 'indices released');
    assert.equal(peer.timers.deadlines.size, 0, 'nothing left to do');
    assert.equal(b.device.peer(2)?.timers.deadlines.has('zeroKeyMaterial'), false);
  });

  it('under load demands a cookie: mac2 missing draws a cookie reply, the retry with mac2 is accepted', async () => {
    const { net, a, b } = await pair();
    b.queuedHandshakes = 1000;
    a.sendData(1, text('loaded'));
    net.flush();
    assert.equal(b.device.stats.cookieRepliesSent, 1);
    assert.equal(b.device.stats.initiationsAccepted, 0);
    assert.equal(a.device.stats.cookieRepliesAccepted, 1);
    assert.ok(a.device.peer(1)?.cookie.hasFreshCookie(net.clock.now));
    net.run(REKEY_TIMEOUT + REKEY_TIMEOUT_JITTER_MAX + 250);
    assert.equal(handshakeCount(a), 2, 'retransmitted');
    assert.equal(b.device.stats.initiationsAccepted, 1, 'the initiation with mac2 passed');
    assert.equal(b.device.stats.cookieRepliesSent, 1);
    assert.deepEqual(b.received.map((r) => str(r.payload)), ['loaded']);
  });

  it('under load rate-limits handshakes with a valid mac2 per source: burst of 5', async () => {
    const { net, a, b } = await pair();
    b.queuedHandshakes = 1000;
    const peerA = a.device.peer(1);
    assert.ok(peerA);
    a.apply(peerA.needHandshake(net.clock.now));
    net.flush();
    assert.ok(peerA.cookie.hasFreshCookie(net.clock.now), 'cookie obtained');
    const initiations: Uint8Array[] = [];
    for (let i = 0; i < 8; i++) {
      peerA.lastSentHandshake = undefined;
      net.clock.wallOffset += 100;
      a.apply(peerA.needHandshake(net.clock.now));
      initiations.push(net['queue'].pop()?.packet as Uint8Array);
    }
    net['queue'] = [];
    net.clock.now += 1000;
    for (const p of initiations) b.deliver(p, a.address);
    const stats = b.device.stats;
    assert.equal(stats.cookieRepliesSent, 1, 'only the first one, without mac2');
    assert.equal(stats.initiationsAccepted, 1);
    assert.equal(stats.drops.get('initiationFlood'), 4, 'passed the rate limit, then the 20 ms guard');
    assert.equal(stats.drops.get('rateLimited'), 3);
    b.queuedHandshakes = 0;
    net.clock.now += 1000;
    peerA.lastSentHandshake = undefined;
    net.clock.wallOffset += 100;
    a.apply(peerA.needHandshake(net.clock.now));
    net.flush();
    assert.equal(stats.initiationsAccepted, 2, 'load gone 1 s later: no limit');
  });

  it('drops a replayed initiation, a stale timestamp and a second initiation within 20 ms', async () => {
    const { net, a, b } = await pair();
    const peerA = a.device.peer(1);
    assert.ok(peerA);
    const capture = (): Uint8Array => {
      peerA.lastSentHandshake = undefined;
      a.apply(peerA.needHandshake(net.clock.now));
      const s = net['queue'].pop();
      assert.ok(s);
      return s.packet;
    };
    net.clock.now = 1000;
    const first = capture();
    net.clock.wallOffset += 100;
    const second = capture();
    net.clock.wallOffset -= 10_000;
    const stale = capture();
    net.clock.wallOffset += 20_000;
    const third = capture();
    net['queue'] = [];
    b.deliver(first, a.address);
    assert.equal(b.device.stats.initiationsAccepted, 1);
    net.clock.now += 10;
    b.deliver(second, a.address);
    assert.equal(b.device.stats.drops.get('initiationFlood'), 1);
    net.clock.now += 15;
    b.deliver(first, a.address);
    assert.equal(b.device.stats.drops.get('replayedTimestamp'), 1, 'replayed');
    b.deliver(stale, a.address);
    assert.equal(b.device.stats.drops.get('replayedTimestamp'), 2, 'older than the last accepted');
    b.deliver(third, a.address);
    assert.equal(b.device.stats.initiationsAccepted, 2, 'newer, 25 ms later: accepted');
  });

  it('drives the timers from aggregate activity read on a tick', async () => {
    const { net, a, b } = await pair();
    a.sendData(1, text('first'));
    net.flush();
    const peerB = b.device.peer(2);
    assert.ok(peerB);
    // The data plane reports only timestamps: a keepalive sent at 500, data received at 1000;
    // replayed in time order, the send clears the pending keepalive and the receipt re-arms it.
    net.clock.now = 1250;
    peerB.observe({ lastSent: 500, lastReceived: 1000, lastDataReceived: 1000 });
    assert.equal(peerB.timers.deadlines.get('sendKeepalive'), 1000 + KEEPALIVE_TIMEOUT);
    // A later snapshot shows we sent data at 3000: the keepalive is no longer needed.
    peerB.observe({ lastSent: 3000, lastReceived: 1000, lastDataReceived: 1000, lastDataSent: 3000 });
    assert.equal(peerB.timers.deadlines.has('sendKeepalive'), false);
    assert.ok(peerB.timers.deadlines.has('newHandshake'));
    // Re-reading the same snapshot changes nothing.
    const deadline = peerB.timers.deadlines.get('newHandshake');
    peerB.observe({ lastSent: 3000, lastReceived: 1000, lastDataReceived: 1000, lastDataSent: 3000 });
    assert.equal(peerB.timers.deadlines.get('newHandshake'), deadline);
    peerB.observe({ lastReceived: 4000 });
    assert.equal(peerB.timers.deadlines.has('newHandshake'), false, 'a keepalive received clears it');
  });

  it('counts the keepalive and new-handshake timers from the first packet since the other direction, not the latest', async () => {
    const { net, a, b } = await pair();
    a.sendData(1, text('first'));
    net.flush();
    const peerB = b.device.peer(2);
    assert.ok(peerB);
    peerB.observe({ lastSent: 500 });
    // Data received at 1000, 1400 and 1900 without a send between: the kernel armed the keepalive
    // at the first, and must send another after it (need_another_keepalive).
    net.clock.now = 2000;
    peerB.observe({ lastReceived: 1900, lastDataReceived: 1900, firstDataReceivedSinceSend: 1000 });
    assert.equal(peerB.timers.deadlines.get('sendKeepalive'), 1000 + KEEPALIVE_TIMEOUT);
    assert.equal(peerB.timers.needAnotherKeepalive, true);
    // Data sent at 2500 and 2900 without a receive between: the new-handshake timer counts from 2500.
    net.clock.now = 3000;
    peerB.observe({ lastSent: 2900, lastDataSent: 2900, firstDataSentSinceReceive: 2500 });
    const deadline = peerB.timers.deadlines.get('newHandshake');
    assert.ok(deadline !== undefined && deadline >= 2500 + KEEPALIVE_TIMEOUT + REKEY_TIMEOUT && deadline < 2900 + KEEPALIVE_TIMEOUT + REKEY_TIMEOUT, `deadline ${deadline}`);
    assert.equal(peerB.timers.deadlines.has('sendKeepalive'), false, 'the send at 2500 made the keepalive unnecessary');
  });
});
