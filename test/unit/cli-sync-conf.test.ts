import assert from 'node:assert/strict';
import { syncTransaction } from '../../src/cli/sync-conf.js';
import { parseWgConfig } from '../../src/config/wg-config.js';
import { configToSetTransaction } from '../../src/uapi/config-transaction.js';
import { formatSetTransaction } from '../../src/uapi/set-format.js';
import { parseGetResponse } from '../../src/uapi/status.js';
import { keyFromBase64, keyToHex } from '../../src/config/keys.js';

const A = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const B = 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=';
const C = 'gN65BkIKy1eCE9pP1wdc8ROUtkHLF2PfAqYdyYBz6EA=';
const hex = (b64: string) => keyToHex(keyFromBase64(b64)!);
const ZERO = '0'.repeat(64);

async function sync(file: string, runtime: string[]): Promise<string[]> {
  const tx = await configToSetTransaction(parseWgConfig(file, { wgQuick: false }), { replace: true });
  return [...formatSetTransaction(syncTransaction(tx, parseGetResponse([...runtime, 'errno=0'])))];
}

describe('cli/sync-conf', () => {
  it('updates kept peers in place, removes the others, clears what the file no longer sets', async () => {
    const runtime = [`public_key=${hex(A)}`, `preshared_key=${'44'.repeat(32)}`, 'persistent_keepalive_interval=25', `public_key=${hex(C)}`];
    assert.deepEqual(await sync(`[Interface]\nListenPort = 7\n[Peer]\nPublicKey = ${A}\nAllowedIPs = 10.1.0.0/16\n[Peer]\nPublicKey = ${B}\n`, runtime), [
      `private_key=${ZERO}`,
      'listen_port=7',
      'fwmark=0',
      `public_key=${hex(C)}`,
      'remove=true',
      `public_key=${hex(A)}`,
      `preshared_key=${ZERO}`,
      'persistent_keepalive_interval=0',
      'replace_allowed_ips=true',
      'allowed_ip=10.1.0.0/16',
      `public_key=${hex(B)}`,
      'replace_allowed_ips=true',
    ]);
  });

  it('keeps what the file sets, and is a plain setconf when either side has no peers', async () => {
    const runtime = [`public_key=${hex(A)}`, `preshared_key=${'44'.repeat(32)}`, 'persistent_keepalive_interval=25'];
    const kept = await sync(`[Interface]\n[Peer]\nPublicKey = ${A}\nPersistentKeepalive = 9\n`, runtime);
    assert.deepEqual(kept.slice(3), [`public_key=${hex(A)}`, `preshared_key=${ZERO}`, 'persistent_keepalive_interval=9', 'replace_allowed_ips=true']);
    assert.ok((await sync('[Interface]\n', runtime)).includes('replace_peers=true'));
    assert.ok((await sync(`[Peer]\nPublicKey = ${B}\n`, [])).includes('replace_peers=true'));
  });
});
