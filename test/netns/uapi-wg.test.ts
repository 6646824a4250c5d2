// The real `wg` (wireguard-tools) talking to viaguard's UAPI server in /var/run/wireguard,
// backed by the reference model: show, dump, showconf, set, setconf, addconf and errors.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyFromBase64, keyToHex } from '../../src/config/keys.js';
import { formatWgConfig } from '../../src/config/wg-config-format.js';
import { parseWgConfig } from '../../src/config/wg-config.js';
import { formatPrefix, parseIp } from '../../src/net/ip.js';
import { formatEndpoint } from '../../src/config/endpoint.js';
import { UapiClient } from '../../src/uapi/client.js';
import { configToSetTransaction } from '../../src/uapi/config-transaction.js';
import { UapiServer } from '../../src/uapi/server.js';
import { configFromStatus } from '../../src/uapi/status-config.js';
import { UapiModel } from '../support/uapi-model.js';
import { requireRoot, run, runOk, uniqueName } from '../support/run.js';

interface KeyPair {
  privateKey: string;
  publicKey: string;
}

async function keyPair(): Promise<KeyPair> {
  const privateKey = (await runOk('wg', ['genkey'])).trim();
  const publicKey = (await runOk('wg', ['pubkey'], `${privateKey}\n`)).trim();
  return { privateKey, publicKey };
}

describe('uapi: the real wg against viaguard\'s server', function () {
  this.timeout(30_000);
  let iface: string;
  let model: UapiModel;
  let server: UapiServer;
  let dir: string;
  let device: KeyPair;
  let peerA: KeyPair;
  let peerB: KeyPair;
  let psk: string;

  before(async () => {
    requireRoot();
    await runOk('wg', ['--version']);
    device = await keyPair();
    peerA = await keyPair();
    peerB = await keyPair();
    psk = (await runOk('wg', ['genpsk'])).trim();
    dir = mkdtempSync(join(tmpdir(), 'cfg-wg-'));
  });

  beforeEach(async () => {
    iface = uniqueName('cfg');
    model = new UapiModel();
    server = await UapiServer.listen(iface, model);
  });

  afterEach(async () => {
    await server?.close();
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function setconf(text: string, verb = 'setconf'): Promise<void> {
    const file = join(dir, `${iface}.conf`);
    writeFileSync(file, text, { mode: 0o600 });
    await runOk('wg', [verb, iface, file]);
  }

  const baseConfig = () => `[Interface]
PrivateKey = ${device.privateKey}
ListenPort = 51820
FwMark = 0x20

[Peer]
PublicKey = ${peerA.publicKey}
PresharedKey = ${psk}
AllowedIPs = 10.1.0.0/16, fd00:1::/64
Endpoint = 192.0.2.1:51820
PersistentKeepalive = 25

[Peer]
PublicKey = ${peerB.publicKey}
AllowedIPs = 10.2.0.0/16
Endpoint = [2001:db8::2]:4000
`;

  it('lists the interface and sets a whole config with wg setconf', async () => {
    assert.match(await runOk('wg', ['show', 'interfaces']), new RegExp(`(^|\\s)${iface}(\\s|$)`));
    await setconf(baseConfig());
    const state = model.state;
    assert.equal(state.listenPort, 51820);
    assert.equal(state.fwmark, 0x20);
    assert.equal(keyToHex(state.privateKey!), keyToHex(keyFromBase64(device.privateKey)!));
    assert.deepEqual([...state.peers.keys()], [peerA.publicKey, peerB.publicKey].map((k) => keyToHex(keyFromBase64(k)!)));
    assert.deepEqual(model.prefixesOf(keyToHex(keyFromBase64(peerA.publicKey)!)).map(formatPrefix), ['10.1.0.0/16', 'fd00:1::/64']);
  });

  it('shows the device with wg show and wg show dump', async () => {
    await setconf(baseConfig());
    const show = await runOk('wg', ['show', iface]);
    assert.match(show, new RegExp(`interface: ${iface}\\n  public key: ${escape(device.publicKey)}\\n  private key: \\(hidden\\)\\n  listening port: 51820\\n  fwmark: 0x20`));
    assert.match(show, new RegExp(`peer: ${escape(peerA.publicKey)}\\n  preshared key: \\(hidden\\)\\n  endpoint: 192.0.2.1:51820\\n  allowed ips: 10.1.0.0/16, fd00:1::/64\\n  persistent keepalive: every 25 seconds`));
    assert.match(show, new RegExp(`peer: ${escape(peerB.publicKey)}\\n  endpoint: \\[2001:db8::2\\]:4000\\n  allowed ips: 10.2.0.0/16`));
    const dump = (await runOk('wg', ['show', iface, 'dump'])).trim().split('\n');
    assert.deepEqual(dump, [
      [device.privateKey, device.publicKey, '51820', '0x20'].join('\t'),
      [peerA.publicKey, psk, '192.0.2.1:51820', '10.1.0.0/16,fd00:1::/64', '0', '0', '0', '25'].join('\t'),
      [peerB.publicKey, '(none)', '[2001:db8::2]:4000', '10.2.0.0/16', '0', '0', '0', 'off'].join('\t'),
    ]);
  });

  it('round-trips through wg showconf', async () => {
    await setconf(baseConfig());
    const shown = await runOk('wg', ['showconf', iface]);
    const parsed = parseWgConfig(shown, { file: 'showconf', wgQuick: false });
    assert.deepEqual(parsed, parseWgConfig(baseConfig()));
    assert.equal(shown, formatWgConfig(parsed));
    // viaguard's client and formatter print exactly what wg showconf prints.
    assert.equal(formatWgConfig(configFromStatus(await new UapiClient(iface).get())), shown);
  });

  it('changes peers with wg set: add, allowed-ips replacement, remove, device keys', async () => {
    await setconf(baseConfig());
    const keyFile = join(dir, 'psk');
    writeFileSync(keyFile, `${psk}\n`, { mode: 0o600 });
    const peerC = await keyPair();
    await runOk('wg', ['set', iface, 'listen-port', '4242', 'fwmark', 'off', 'peer', peerC.publicKey, 'preshared-key', keyFile, 'allowed-ips', '10.3.0.0/16,10.2.0.0/16', 'endpoint', '198.51.100.1:7', 'persistent-keepalive', '5']);
    await runOk('wg', ['set', iface, 'peer', peerA.publicKey, 'allowed-ips', '10.9.0.0/16']);
    await runOk('wg', ['set', iface, 'peer', peerB.publicKey, 'remove']);
    const dump = (await runOk('wg', ['show', iface, 'dump'])).trim().split('\n');
    assert.deepEqual(dump, [
      [device.privateKey, device.publicKey, '4242', 'off'].join('\t'),
      [peerA.publicKey, psk, '192.0.2.1:51820', '10.9.0.0/16', '0', '0', '0', '25'].join('\t'),
      // 10.2.0.0/16 moved from peer B to peer C before B was removed.
      [peerC.publicKey, psk, '198.51.100.1:7', '10.3.0.0/16,10.2.0.0/16', '0', '0', '0', '5'].join('\t'),
    ]);
  });

  it('adds with wg addconf and replaces with wg setconf', async () => {
    await setconf(baseConfig());
    const peerC = await keyPair();
    await setconf(`[Peer]\nPublicKey = ${peerC.publicKey}\nAllowedIPs = 10.3.0.0/16\n`, 'addconf');
    assert.equal(model.state.peers.size, 3);
    await setconf(`[Interface]\nListenPort = 1000\n[Peer]\nPublicKey = ${peerC.publicKey}\nAllowedIPs = 10.4.0.0/16\n`);
    assert.equal(model.state.peers.size, 1);
    assert.equal(model.state.privateKey, undefined, 'setconf without PrivateKey clears it (wg sends zeros)');
    assert.equal(model.state.listenPort, 1000);
    assert.deepEqual(model.prefixesOf(keyToHex(keyFromBase64(peerC.publicKey)!)).map(formatPrefix), ['10.4.0.0/16']);
  });

  it('reports the daemon\'s errno through wg and changes nothing', async () => {
    await setconf(baseConfig());
    model.busyPorts.add(4000);
    const result = await run('wg', ['set', iface, 'listen-port', '4000', 'peer', peerB.publicKey, 'remove']);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Address already in use/);
    assert.equal(model.state.listenPort, 51820);
    assert.equal(model.state.peers.size, 2);
  });

  it('builds the same transaction as wg setconf and wg addconf from a config file', async () => {
    const added = `[Peer]\nPublicKey = ${peerA.publicKey}\nAllowedIPs = 10.7.0.0/16\nPersistentKeepalive = off\n`;
    const ours = new UapiModel();
    await setconf(`[Interface]\nListenPort = 7\n[Peer]\nPublicKey = ${peerB.publicKey}\nAllowedIPs = 10.9.0.0/16\n`);
    await ours.set(await configToSetTransaction(parseWgConfig(`[Interface]\nListenPort = 7\n[Peer]\nPublicKey = ${peerB.publicKey}\nAllowedIPs = 10.9.0.0/16\n`), { replace: true }));
    for (const [text, verb] of [[baseConfig(), 'setconf'], [added, 'addconf']] as const) {
      await setconf(text, verb);
      await ours.set(await configToSetTransaction(parseWgConfig(text), { replace: verb === 'setconf' }));
      assert.deepEqual([...ours.get()], [...model.get()], verb);
    }
    const named = parseWgConfig(`[Peer]\nPublicKey = ${peerA.publicKey}\nEndpoint = vpn.example:5\n`);
    await assert.rejects(configToSetTransaction(named, { replace: false }), /Endpoint vpn\.example:5: a DNS name, and no resolver was given/);
    const resolved = await configToSetTransaction(named, { replace: false, resolve: async (e) => ({ address: parseIp('192.0.2.9')!, port: e.port }) });
    assert.equal(formatEndpoint(resolved.peers[0].endpoint!), '192.0.2.9:5');
  });

  it('carries 100,000 allowed IPs from a wg setconf file', async () => {
    const lines = [`[Interface]\nPrivateKey = ${device.privateKey}\n[Peer]\nPublicKey = ${peerA.publicKey}`];
    for (let i = 0; i < 100_000; i++) lines.push(`AllowedIPs = 10.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32`);
    await setconf(`${lines.join('\n')}\n`);
    const shown = (await runOk('wg', ['show', iface, 'allowed-ips'])).trim().split('\n');
    assert.equal(shown.length, 1);
    assert.equal(shown[0].split('\t')[1].split(' ').length, 100_000);
  });

  it('makes wg fail cleanly on an interface without a daemon', async () => {
    const result = await run('wg', ['show', uniqueName('cfgnone')]);
    assert.notEqual(result.code, 0);
  });
});

function escape(text: string): string {
  return text.replace(/[+/=]/g, (c) => `\\${c}`);
}
