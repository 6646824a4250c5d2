// Cookies under load, end to end: a flood of handshake initiations that pass the mac1 check
// (the costly kind: they reach the handshake code) makes viaguardd answer with cookie replies
// instead of doing Diffie-Hellman, while a real wireguard-go peer still gets its session by
// replying with mac2, as the protocol intends.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createTunnelPair, viaguardd, wireguardGo, type TunnelPair } from '../../src/testing/tunnel-pair.js';
import { UapiClient } from '../../src/uapi/client.js';
import { requireRoot } from '../support/run.js';

const NOBLE_BLAKE2 = fileURLToPath(new URL('../../../node_modules/@noble/hashes/blake2.js', import.meta.url));

/** A script that sends `count` initiations with a valid mac1 for `publicKey` (hex) to host:port. */
function floodScript(publicKey: string, host: string, port: number, count: number): string {
  return `
    import { blake2s } from ${JSON.stringify(NOBLE_BLAKE2)};
    import { randomFillSync } from 'node:crypto';
    import dgram from 'node:dgram';
    const key = blake2s(Buffer.concat([Buffer.from('mac1----'), Buffer.from('${publicKey}', 'hex')]));
    const socket = dgram.createSocket('udp4');
    let sent = 0;
    const next = () => {
      if (sent++ >= ${count}) return socket.close();
      const m = Buffer.alloc(148);
      m.writeUInt32LE(1, 0);
      randomFillSync(m, 4, 112); // sender index, ephemeral, encrypted static and timestamp
      m.set(blake2s(m.subarray(0, 116), { key, dkLen: 16 }), 116);
      socket.send(m, ${port}, '${host}', next);
    };
    next();`;
}

describe('viaguardd under a handshake flood', function () {
  this.timeout(90_000);
  let pair: TunnelPair | undefined;

  before(() => requireRoot());
  after(async () => pair?.destroy());

  it('answers with cookie replies and still lets a real peer in with mac2', async () => {
    pair = await createTunnelPair(viaguardd, wireguardGo, { index: 41, leftKnowsEndpoint: false });
    const { left, right } = pair;
    const client = new UapiClient(left.ifname);
    const status = await client.get();
    const publicKey = Buffer.from((await left.ns.exec('wg', ['show', left.ifname, 'public-key'])).trim(), 'base64').toString('hex');
    assert.ok(status.privateKey);

    const script = `/tmp/${left.ifname}-flood.mjs`;
    writeFileSync(script, floodScript(publicKey, '192.0.2.1', 51820, 30_000));
    try {
      const flood = right.ns.exec(process.execPath, [script]);
      await new Promise((r) => setTimeout(r, 300));
      // wireguard-go's first initiation meets the load and gets a cookie; its retry carries mac2.
      const ping = right.ns.exec('ping', ['-c', '1', '-W', '20', left.tunnel4]);
      await flood;
      await ping;
    } finally {
      rmSync(script, { force: true });
    }
    const counters = new Map((await client.get()).extra.map(([k, v]) => [k, Number(v)]));
    const get = (k: string) => counters.get(k) ?? 0;
    assert.ok(get('cookie_replies_sent') > 100, `cookie replies ${get('cookie_replies_sent')}`);
    assert.ok(get('handshake_initiations_accepted') >= 1, 'the real peer completed a handshake');
    // Where the flood went: cookie replies, the rate limits (the data plane's per-source one, before
    // any MAC is computed, and the protocol core's), failed decryption before the load was noticed,
    // the backlog bound.
    const handled =
      get('cookie_replies_sent') + get('dropped_handshake_rate_limited') + get('handshake_dropped_rate_limited') +
      get('handshake_dropped_decrypt_static') + get('dropped_handshake_backlog');
    assert.ok(handled > 1000, JSON.stringify(Object.fromEntries(counters)));
    const handshake = Number((await right.ns.exec('wg', ['show', right.ifname, 'latest-handshakes'])).trim().split('\t')[1]);
    assert.ok(handshake > 0);
  });
});
