// The routing-loop check of the kernel's WireGuard selftest (tools/testing/selftests/wireguard/
// netns.sh, "Try to set up a routing loop"), with two viaguardd interfaces in one namespace in
// place of the kernel's two namespaces: wg1 is carried by wg0, then wg0's peer endpoint is
// pointed at an address routed through wg1, so each tunnel's UDP packets enter the other. The
// packets grow by each encapsulation; since our UDP datagrams are never fragmented, the loop
// dies once they exceed an MTU, and the selftest's bound (< 70,000 bytes sent by wg1 within the
// flood ping and one second after) holds.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UapiClient } from '../../src/uapi/client.js';
import { Namespace, connect, uniqueSuffix } from '../../src/testing/netns.js';
import { viaguardd, wgKeyPair } from '../../src/testing/tunnel-pair.js';
import { requireRoot, run } from '../support/run.js';

interface Interface {
  ns: Namespace;
  name: string;
}

async function start(ns: Namespace, name: string, conf: string[], addresses: string[], mtu?: number): Promise<Interface> {
  const [cmd, ...args] = viaguardd.command;
  await ns.exec(cmd, [...args, name]);
  const path = join(tmpdir(), `${name}.conf`);
  writeFileSync(path, conf.join('\n') + '\n', { mode: 0o600 });
  try {
    await ns.exec('wg', ['setconf', name, path]);
  } finally {
    rmSync(path, { force: true });
  }
  for (const address of addresses) await ns.exec('ip', ['addr', 'add', address, 'dev', name, ...(address.includes(':') ? ['nodad'] : [])]);
  if (mtu !== undefined) await ns.exec('ip', ['link', 'set', name, 'mtu', String(mtu)]);
  await ns.exec('ip', ['link', 'set', name, 'up']);
  return { ns, name };
}

async function txBytes(iface: Interface): Promise<number> {
  const [, , tx] = (await iface.ns.exec('wg', ['show', iface.name, 'transfer'])).trim().split('\t');
  return Number(tx);
}

async function counter(iface: Interface, key: string): Promise<number> {
  const status = await new UapiClient(iface.name).get();
  return Number(status.extra.find(([k]) => k === key)?.[1] ?? 0);
}

describe('a routing loop through two tunnels (netns.sh)', function () {
  this.timeout(60_000);
  let ns1: Namespace | undefined;
  let ns2: Namespace | undefined;

  before(() => requireRoot());
  after(async () => {
    await ns1?.destroy();
    await ns2?.destroy();
  });

  it('dies out: wg1 sends < 70,000 bytes for a 10-packet flood ping, and the oversized datagrams are counted', async () => {
    ns1 = await Namespace.create('vglp1');
    ns2 = await Namespace.create('vglp2');
    await connect(ns1, ns2, { a4: '10.98.0.1', b4: '10.98.0.2', a6: 'fd98::1', b6: 'fd98::2' });
    const keys = [wgKeyPair(), wgKeyPair(), wgKeyPair(), wgKeyPair()];
    const suffix = uniqueSuffix();
    const [outer1, outer2, inner1, inner2] = ['o1', 'o2', 'i1', 'i2'].map((tag) => `vglp${tag}${suffix}`);
    // wg0 of the selftest: the outer tunnel, fd00::5:1 <-> fd00::5:2 over the veth.
    const wg0 = await start(ns1, outer1, ['[Interface]', `PrivateKey = ${keys[0].privateKey}`, 'ListenPort = 1', '[Peer]', `PublicKey = ${keys[1].publicKey}`, 'AllowedIPs = fd00::5:2/128', 'Endpoint = 10.98.0.2:2'], ['fd00::5:1/112']);
    await start(ns2, outer2, ['[Interface]', `PrivateKey = ${keys[1].privateKey}`, 'ListenPort = 2', '[Peer]', `PublicKey = ${keys[0].publicKey}`, 'AllowedIPs = fd00::5:1/128', 'Endpoint = 10.98.0.1:1'], ['fd00::5:2/112']);
    // wg1: the inner tunnel, 192.168.241.1 <-> 192.168.241.2, whose UDP rides in wg0.
    const wg1 = await start(ns1, inner1, ['[Interface]', `PrivateKey = ${keys[2].privateKey}`, 'ListenPort = 5', '[Peer]', `PublicKey = ${keys[3].publicKey}`, 'AllowedIPs = 192.168.241.2/32', 'Endpoint = [fd00::5:2]:5'], ['192.168.241.1/24'], 1340);
    await start(ns2, inner2, ['[Interface]', `PrivateKey = ${keys[3].privateKey}`, 'ListenPort = 5', '[Peer]', `PublicKey = ${keys[2].publicKey}`, 'AllowedIPs = 192.168.241.1/32', 'Endpoint = [fd00::5:1]:5'], ['192.168.241.2/24'], 1340);
    await ns1.exec('ping', ['-c', '1', '-W', '5', '192.168.241.2']);

    // The loop: wg0's peer now sits behind wg1, and the far ends are gone (their sessions stay).
    await ns1.exec('wg', ['set', outer1, 'peer', keys[1].publicKey, 'endpoint', '192.168.241.2:7']);
    await ns2.exec('ip', ['link', 'del', outer2]);
    await ns2.exec('ip', ['link', 'del', inner2]);

    const before = await txBytes(wg1);
    const outerBefore = await txBytes(wg0);
    const ping = await run('ip', ['netns', 'exec', ns1.name, 'ping', '-W', '1', '-c', '10', '-f', '192.168.241.2']);
    assert.notEqual(ping.code, 0, 'nothing answers the flood ping');
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the selftest's measuring window
    const sent = (await txBytes(wg1)) - before;
    const outerSent = (await txBytes(wg0)) - outerBefore;
    assert.ok(sent < 70_000, `wg1 sent ${sent} bytes: the loop did not die out`);
    // Not vacuous: the packets did go round (each ping several times through both tunnels)
    // until the kernel refused a datagram beyond wg1's MTU.
    assert.ok(outerSent > 10 * 1000, `wg0 sent only ${outerSent} bytes: no loop formed`);
    assert.ok((await counter(wg0, 'dropped_over_path_mtu')) + (await counter(wg1, 'dropped_over_path_mtu')) > 0);
  });
});
