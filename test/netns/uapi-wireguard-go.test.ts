// viaguard's UAPI client against a real wireguard-go, and the set semantics of viaguard's
// parser + reference model checked against wireguard-go's on the same requests (differential).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, unlinkSync } from 'node:fs';
import { formatEndpoint } from '../../src/config/endpoint.js';
import { clampPrivateKey, keyFromHex, keyToHex } from '../../src/config/keys.js';
import { formatPrefix } from '../../src/net/ip.js';
import { UapiClient } from '../../src/uapi/client.js';
import { UAPI_ERRNO, UapiError } from '../../src/uapi/errors.js';
import { parseSetRequest } from '../../src/uapi/set-request.js';
import { socketPath } from '../../src/uapi/socket-path.js';
import { parseGetResponse, type DeviceSnapshot } from '../../src/uapi/status.js';
import { UapiModel } from '../support/uapi-model.js';
import { requireRoot, runOk, uniqueName } from '../support/run.js';

const hexKey = () => randomBytes(32).toString('hex');

/** A comparable view of a device: keys as hex, peers and prefixes sorted. */
function normalize(device: DeviceSnapshot) {
  return {
    privateKey: device.privateKey && keyToHex(device.privateKey),
    listenPort: device.listenPort,
    fwmark: device.fwmark,
    peers: device.peers
      .map((peer) => ({
        publicKey: keyToHex(peer.publicKey),
        presharedKey: peer.presharedKey && keyToHex(peer.presharedKey),
        endpoint: peer.endpoint && formatEndpoint(peer.endpoint),
        persistentKeepaliveInterval: peer.persistentKeepaliveInterval,
        allowedIps: [...peer.allowedIps].map(formatPrefix).sort(),
      }))
      .sort((a, b) => a.publicKey.localeCompare(b.publicKey)),
  };
}

describe('uapi: viaguard\'s client and parser against a real wireguard-go', function () {
  this.timeout(30_000);
  let namespace: string;
  let iface: string;
  let daemon: ChildProcess | undefined;
  let client: UapiClient;

  before(async () => {
    requireRoot();
    await runOk('wireguard-go', ['--version']);
    namespace = uniqueName('cfgns');
    iface = uniqueName('cfgg');
    await runOk('ip', ['netns', 'add', namespace]);
    daemon = spawn('ip', ['netns', 'exec', namespace, 'wireguard-go', '-f', iface], { stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, LOG_LEVEL: 'error' } });
    const path = socketPath(iface);
    for (let i = 0; i < 200 && !existsSync(path); i++) {
      if (daemon.exitCode !== null) throw new Error(`wireguard-go exited with ${daemon.exitCode}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(existsSync(path), `wireguard-go did not create ${path}`);
    client = new UapiClient(iface);
  });

  after(async () => {
    if (daemon && daemon.exitCode === null) {
      const exited = once(daemon, 'exit');
      daemon.kill('SIGTERM');
      const timer = setTimeout(() => daemon?.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    if (namespace) await runOk('ip', ['netns', 'del', namespace]).catch(() => undefined);
    if (iface && existsSync(socketPath(iface))) unlinkSync(socketPath(iface));
  });

  it('sets a device and reads every field back', async () => {
    const [priv, peer, psk] = [hexKey(), hexKey(), hexKey()];
    const port = 20000 + (randomBytes(2).readUInt16BE() % 20000);
    assert.equal(await client.set([`private_key=${priv}`, `listen_port=${port}`, 'fwmark=77', 'replace_peers=true', `public_key=${peer}`, `preshared_key=${psk}`, 'endpoint=[2001:db8::9]:51820', 'persistent_keepalive_interval=15', 'allowed_ip=10.5.0.0/16', 'allowed_ip=fd05::/64']), 0);
    const device = await client.get();
    assert.deepEqual(normalize(device), {
      privateKey: keyToHex(clampPrivateKey(keyFromHex(priv)!)),
      listenPort: port,
      fwmark: 77,
      peers: [{ publicKey: peer, presharedKey: psk, endpoint: '[2001:db8::9]:51820', persistentKeepaliveInterval: 15, allowedIps: ['10.5.0.0/16', 'fd05::/64'] }],
    });
    assert.equal(device.peers[0].txBytes, 0n);
    assert.equal(device.peers[0].lastHandshakeTimeSec, 0);
  });

  it('agrees with wireguard-go on the outcome of every kind of set', async () => {
    const [a, b, c, d] = [hexKey(), hexKey(), hexKey(), hexKey()];
    const port = 20000 + (randomBytes(2).readUInt16BE() % 20000);
    const requests: string[][] = [
      [`private_key=${hexKey()}`, `listen_port=${port}`, 'fwmark=0', 'replace_peers=true', `public_key=${a}`, 'allowed_ip=10.1.0.0/16', 'allowed_ip=10.2.0.0/16', `public_key=${b}`, 'endpoint=192.0.2.2:2', 'allowed_ip=10.3.0.0/16'],
      // A prefix moves to its latest owner; replace_allowed_ips drops earlier additions.
      [`public_key=${b}`, 'allowed_ip=10.1.0.0/16', `public_key=${a}`, 'allowed_ip=10.8.0.0/16', 'replace_allowed_ips=true', 'allowed_ip=10.9.0.0/16'],
      // update_only neither creates a missing peer nor blocks an existing one.
      [`public_key=${c}`, 'update_only=true', 'allowed_ip=10.4.0.0/16', `public_key=${a}`, 'update_only=true', 'persistent_keepalive_interval=9', `preshared_key=${hexKey()}`],
      // Zero preshared key clears it; fwmark set then cleared; remove ignores what follows.
      ['fwmark=5', `public_key=${a}`, `preshared_key=${'0'.repeat(64)}`, `public_key=${b}`, 'remove=true', 'allowed_ip=10.7.0.0/16'],
      ['fwmark=0', `public_key=${d}`, 'endpoint=[fd00::4]:4', 'allowed_ip=fd00:4::/64', 'allowed_ip=10.3.0.0/16', 'protocol_version=1'],
      [`private_key=${'0'.repeat(64)}`],
      ['replace_peers=true', `public_key=${c}`, 'allowed_ip=0.0.0.0/0', 'allowed_ip=::/0'],
    ];
    const model = new UapiModel();
    for (const [index, request] of requests.entries()) {
      assert.equal(await client.set(request), 0, `wireguard-go rejected request ${index}`);
      await model.set(parseSetRequest(request));
      const real = normalize(await client.get());
      const ours = normalize(parseGetResponse([...model.get(), 'errno=0']));
      assert.deepEqual(ours, real, `after request ${index}`);
    }
  });

  it('answers bad requests with the same errno as viaguard\'s parser', async () => {
    const k = hexKey();
    const bad: string[][] = [
      ['listen_port=65536'],
      ['fwmark=0x10'],
      ['private_key=zz'],
      ['replace_peers=false'],
      ['bogus=1'],
      ['peer_selection=route'],
      ['allowed_ip=10.0.0.0/8'],
      ['listen_port'],
      [`public_key=${k}`, 'update_only=true', 'allowed_ip=10.0.0.1'],
      [`public_key=${k}`, 'update_only=true', 'endpoint=fd00::1:5'],
      [`public_key=${k}`, 'update_only=true', 'protocol_version=2'],
      [`public_key=${k}`, 'update_only=true', 'persistent_keepalive_interval=70000'],
      [`public_key=${k}`, 'update_only=true', 'listen_port=1'],
      [`public_key=${k}`, 'update_only=true', 'remove=yes'],
    ];
    for (const request of bad) {
      let ours = 0;
      try {
        parseSetRequest(request);
      } catch (error) {
        assert.ok(error instanceof UapiError);
        ours = error.errno;
      }
      assert.notEqual(ours, 0, `viaguard accepted ${request.join(' | ')}`);
      assert.equal(await client.set(request), ours, request.join(' | '));
    }
    assert.equal(await client.set(['listen_port']), UAPI_ERRNO.EPROTO);
  });
});
