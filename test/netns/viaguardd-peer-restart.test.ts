// A peer that restarts with the same key (SIGKILL, then a fresh daemon with the same config)
// gets a new session at once: its first packet makes it initiate, and viaguardd, still holding
// the old session, accepts the new handshake within REKEY_TIMEOUT.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTunnelPair, daemonPid, viaguardd, type TunnelPair } from '../../src/testing/tunnel-pair.js';
import { requireRoot } from '../support/run.js';

const REKEY_TIMEOUT_S = 5;

describe('viaguardd and a peer restarting with the same key', function () {
  this.timeout(60_000);
  let pair: TunnelPair | undefined;

  before(() => requireRoot());
  after(async () => pair?.destroy());

  it('makes a new session within REKEY_TIMEOUT', async () => {
    pair = await createTunnelPair(viaguardd, viaguardd, { index: 43 });
    const { left, right } = pair;
    await right.ns.exec('ping', ['-c', '1', '-W', '5', left.tunnel4]);
    const conf = await right.ns.exec('wg', ['showconf', right.ifname]);
    process.kill(await daemonPid(right), 'SIGKILL');

    const [cmd, ...args] = right.impl.command;
    await right.ns.exec(cmd, [...args, right.ifname]);
    const confPath = join(tmpdir(), `${right.ifname}-restart.conf`);
    writeFileSync(confPath, conf, { mode: 0o600 });
    try {
      await right.ns.exec('wg', ['setconf', right.ifname, confPath]);
    } finally {
      rmSync(confPath, { force: true });
    }
    await right.ns.exec('ip', ['addr', 'add', `${right.tunnel4}/24`, 'dev', right.ifname]);
    await right.ns.exec('ip', ['link', 'set', right.ifname, 'up']);

    const started = Date.now();
    await right.ns.exec('ping', ['-c', '1', '-W', String(REKEY_TIMEOUT_S), left.tunnel4]);
    assert.ok(Date.now() - started < REKEY_TIMEOUT_S * 1000, `took ${Date.now() - started} ms`);
    // And the other way: the old session is gone for the survivor too.
    await left.ns.exec('ping', ['-c', '1', '-W', String(REKEY_TIMEOUT_S), right.tunnel4]);
  });
});
