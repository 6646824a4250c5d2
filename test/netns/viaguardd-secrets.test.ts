// Secrets in viaguardd: the UAPI socket is for root alone (0600 in a 0755 directory, as
// wireguard-go's umask 077 makes it), and a private or preshared key that was replaced leaves
// no copy of its bytes in the daemon's memory (read through /proc/PID/mem), while the current
// ones are found there — so the search itself is shown to work.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Namespace } from '../../src/testing/netns.js';
import { daemonPid, VIAGUARDD_PATH, viaguardd, wgKeyPair } from '../../src/testing/tunnel-pair.js';
import { requireRoot, uniqueName } from '../support/run.js';

/** No mapping of the daemon's own data is this large: anything bigger is ASan's shadow. */
const SHADOW_SIZE = 64 * 2 ** 30;

/** Whether needle occurs in any readable private mapping of the process. */
function memoryContains(pid: number, needle: Buffer): boolean {
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  try {
    for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
      const m = /^([0-9a-f]+)-([0-9a-f]+) r..p \S+ \S+ \d+\s*(\S*)/.exec(line);
      if (!m || m[3].startsWith('/') || m[3] === '[vvar]' || m[3] === '[vsyscall]') continue; // files: code and data of libraries
      const start = BigInt(`0x${m[1]}`);
      const length = Number(BigInt(`0x${m[2]}`) - start);
      // A sanitizer build's shadow memory is terabytes of reserved address space that only holds
      // shadow bytes; reading it through /proc/PID/mem would build page tables for all of it.
      if (length > SHADOW_SIZE) continue;
      const chunk = Buffer.alloc(Math.min(length, 16 << 20));
      for (let offset = 0; offset < length; offset += chunk.length - needle.length) {
        let got: number;
        try {
          got = readSync(fd, chunk, 0, Math.min(chunk.length, length - offset), start + BigInt(offset));
        } catch {
          break; // an unreadable (e.g. guard) region
        }
        if (chunk.subarray(0, got).includes(needle)) return true;
        if (offset + got >= length) break;
      }
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/** The 30 middle bytes of a base64 key: the same raw and clamped, and unique. */
const middle = (base64: string) => Buffer.from(base64, 'base64').subarray(1, 31);

describe('viaguardd secrets', function () {
  this.timeout(60_000);
  let ns: Namespace | undefined;
  let keyFile: string | undefined;

  before(() => requireRoot());
  after(async () => {
    if (keyFile) rmSync(keyFile, { force: true });
    await ns?.destroy();
  });

  it('keeps its UAPI socket 0600 in a 0755 directory and forgets replaced keys', async () => {
    ns = await Namespace.create('vgsec');
    const ifname = uniqueName('vgsec');
    await ns.exec(process.execPath, [VIAGUARDD_PATH, ifname]);
    const socket = `/var/run/wireguard/${ifname}.sock`;
    assert.equal(statSync(socket).mode & 0o777, 0o600);
    assert.ok(statSync(socket).isSocket());
    assert.equal(statSync('/var/run/wireguard').mode & 0o777, 0o755);

    const pid = await daemonPid({ ns, ifname, impl: viaguardd, tunnel4: '', tunnel6: '' });
    keyFile = join(tmpdir(), `${ifname}.key`);
    const setKey = async (what: 'private-key' | 'preshared-key', base64: string, peer?: string) => {
      writeFileSync(keyFile!, `${base64}\n`, { mode: 0o600 });
      await ns!.exec('wg', ['set', ifname, ...(peer ? ['peer', peer] : []), what, keyFile!]);
    };
    const peer = wgKeyPair().publicKey;
    const [oldPrivate, newPrivate] = [wgKeyPair().privateKey, wgKeyPair().privateKey];
    const [oldPsk, newPsk] = [randomBytes(32).toString('base64'), randomBytes(32).toString('base64')];
    await setKey('private-key', oldPrivate);
    await setKey('preshared-key', oldPsk, peer);
    // A handshake attempt uses the keys (DH, the preshared key's mixing) before they change.
    await ns.exec('wg', ['set', ifname, 'peer', peer, 'endpoint', '127.0.0.1:9']);
    await ns.exec('ip', ['link', 'set', ifname, 'up']);
    await setKey('private-key', newPrivate);
    await setKey('preshared-key', newPsk, peer);
    rmSync(keyFile, { force: true });

    assert.ok(memoryContains(pid, middle(newPrivate)), 'the current private key is found (the search works)');
    assert.ok(memoryContains(pid, middle(newPsk)), 'the current preshared key is found');
    assert.ok(!memoryContains(pid, middle(oldPrivate)), 'no copy of the replaced private key');
    assert.ok(!memoryContains(pid, middle(oldPsk)), 'no copy of the replaced preshared key');
  });
});
