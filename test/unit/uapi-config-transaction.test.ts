import assert from 'node:assert/strict';
import { keyFromBase64, keyToHex, clampPrivateKey } from '../../src/config/keys.js';
import { parseWgConfig } from '../../src/config/wg-config.js';
import { configToSetTransaction } from '../../src/uapi/config-transaction.js';
import { formatSetTransaction } from '../../src/uapi/set-format.js';

const PRIV = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const PUB = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const hex = (b64: string) => keyToHex(keyFromBase64(b64)!);

describe('uapi/config-transaction', () => {
  it('writes what wg setconf sends: defaults for missing device keys, peers replaced', async () => {
    const config = parseWgConfig(`[Interface]\nAddress = 10.0.0.1/24\nSourceCheck = off\n[Peer]\nPublicKey = ${PUB}\nAllowedIPs = 10.1.0.0/16, fd00::/64\nEndpoint = [fd00::9]:5\nPersistentKeepalive = off\n`);
    const tx = await configToSetTransaction(config, { replace: true });
    assert.deepEqual([...formatSetTransaction(tx)], [
      `private_key=${'0'.repeat(64)}`,
      'listen_port=0',
      'fwmark=0',
      'replace_peers=true',
      'source_check=off',
      `public_key=${hex(PUB)}`,
      'endpoint=[fd00::9]:5',
      'persistent_keepalive_interval=0',
      'replace_allowed_ips=true',
      'allowed_ip=10.1.0.0/16',
      'allowed_ip=fd00::/64',
    ]);
  });

  it('writes only what the file holds for wg addconf, with the private key clamped', async () => {
    const config = parseWgConfig(`[Interface]\nPrivateKey = ${PRIV}\n[Peer]\nPublicKey = ${PUB}\nAllowedIPs = 10.1.2.3/8\n`);
    const tx = await configToSetTransaction(config, { replace: false });
    assert.deepEqual([...formatSetTransaction(tx)], [
      `private_key=${keyToHex(clampPrivateKey(keyFromBase64(PRIV)!))}`,
      `public_key=${hex(PUB)}`,
      'replace_allowed_ips=true',
      'allowed_ip=10.0.0.0/8',
    ]);
  });
});
