import assert from 'node:assert/strict';
import { encodeInitiation } from '../../../src/protocol/messages.js';
import { endpoint, pair, SeededRandom, text } from './harness.js';

describe('protocol core: bad input', () => {
  it('drops and counts malformed, unauthenticated and misdirected messages without throwing', async () => {
    const { net, a, b } = await pair();
    a.sendData(1, text('x'));
    const initiation = net['queue'][0].packet;
    net['queue'] = [];
    const from = endpoint('198.51.100.7', 4000);
    const rnd = new SeededRandom(99);
    const garbage: Uint8Array[] = [
      new Uint8Array(0),
      Uint8Array.of(1),
      initiation.subarray(0, 100),
      Uint8Array.from([...initiation, 0]),
      Uint8Array.of(9, 0, 0, 0, ...rnd.bytes(60)),
      Uint8Array.of(3, 0, 0, 0, ...rnd.bytes(60)),
      Uint8Array.of(2, 0, 0, 0, ...rnd.bytes(88)),
      Uint8Array.of(4, 0, 0, 0, ...rnd.bytes(40)),
    ];
    const badMac = Uint8Array.from(initiation);
    badMac[120] ^= 1;
    garbage.push(badMac);
    const badBody = Uint8Array.from(initiation);
    badBody[50] ^= 1;
    garbage.push(badBody);
    for (let i = 0; i < 500; i++) garbage.push(rnd.bytes(i % 200));
    for (const type of [1, 2, 3]) for (let i = 0; i < 100; i++) garbage.push(Uint8Array.of(type, 0, 0, 0, ...rnd.bytes([144, 88, 60][type - 1])));
    let actions = 0;
    for (const g of garbage) {
      assert.doesNotThrow(() => {
        const calm = b.device.receive(g, from, net.clock.now);
        const loaded = b.device.receive(g, from, net.clock.now, 1000);
        actions += calm.actions.length + loaded.actions.filter((x) => x.type !== 'send').length;
        assert.equal(calm.peer ?? loaded.peer, undefined);
      });
    }
    assert.equal(actions, 0);
    const drops = b.device.stats.drops;
    assert.equal(drops.get('empty'), 8, 'four empty inputs (one listed, three random lengths of 0), each received twice');
    assert.ok((drops.get('truncated') ?? 0) >= 4);
    assert.ok((drops.get('oversized') ?? 0) >= 2);
    assert.ok((drops.get('unknownType') ?? 0) >= 2);
    assert.ok((drops.get('dataMessage') ?? 0) >= 2);
    assert.ok((drops.get('invalidMac1') ?? 0) >= 404, 'random handshakes fail mac1');
    assert.ok((drops.get('unknownIndex') ?? 0) >= 100, 'random cookie replies name no handshake');
    assert.equal(b.device.stats.initiationsAccepted, 0);
    assert.equal(b.device.stats.cookieRepliesSent, 0, 'no cookie reply to a message without a valid mac1');
    // The mac1 covers the body, so a flipped body bit fails mac1 before any DH.
    assert.equal(drops.get('decryptStatic'), undefined);
    // Still works afterwards, once the 1 s "under load" spell of the last calls is over.
    net.clock.now += 1000;
    b.deliver(initiation, a.address);
    assert.equal(b.device.stats.initiationsAccepted, 1);
  });

  it('refuses an initiation from an unknown key, and one with a valid mac1 but a forged body', async () => {
    const { a, b, net, crypto } = await pair();
    b.apply(b.device.removePeer(2));
    a.sendData(1, text('x'));
    net.flush();
    assert.equal(b.device.stats.drops.get('unknownPeer'), 1);
    // A forged initiation with a correct mac1: fails to decrypt the static key.
    const { mac1Key } = await import('../../../src/protocol/cookie.js');
    const forged = encodeInitiation({ senderIndex: 5, ephemeral: crypto.generateKeypair().publicKey, encryptedStatic: new Uint8Array(48), encryptedTimestamp: new Uint8Array(28), mac1: new Uint8Array(16), mac2: new Uint8Array(16) });
    forged.set(crypto.mac(mac1Key(crypto, b.device.publicKey as Uint8Array), forged.subarray(0, 116)), 116);
    b.device.receive(forged, a.address, 0);
    assert.equal(b.device.stats.drops.get('decryptStatic'), 1);
  });

  it('validates peer ids and keys', async () => {
    const { a } = await pair();
    assert.throws(() => a.device.addPeer(0, { publicKey: new Uint8Array(32) }, 0), RangeError);
    assert.throws(() => a.device.addPeer(5, { publicKey: new Uint8Array(31) }, 0), RangeError);
    assert.throws(() => a.device.addPeer(1, { publicKey: new Uint8Array(32).fill(3) }, 0), /already exists/);
    const existing = a.device.peer(1)?.publicKey as Uint8Array;
    assert.throws(() => a.device.addPeer(7, { publicKey: existing }, 0), /already exists/);
  });

  it('a new private key drops every session and recomputes the static-static DH', async () => {
    const { net, a } = await pair();
    a.sendData(1, text('x'));
    net.flush();
    assert.ok(a.slots.get(1)?.current);
    const before = a.device.peer(1)?.handshake.staticStatic;
    a.apply(a.device.setPrivateKey(new Uint8Array(32).fill(5)));
    assert.equal(a.slots.get(1)?.current, undefined);
    assert.notDeepEqual(a.device.peer(1)?.handshake.staticStatic, before);
  });
});
