// The file side of up/down: finding the config, the permission warning, loading (errors before
// any change) and SaveConfig's atomic write.
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/config-error.js';
import { keyToBase64 } from '../../src/config/keys.js';
import { parseWgConfig } from '../../src/config/wg-config.js';
import { formatPrefix, parsePrefix } from '../../src/net/ip.js';
import { accessWarning, locateConfig } from '../../src/quick/config-path.js';
import { QuickError } from '../../src/quick/errors.js';
import { loadConfig } from '../../src/quick/load.js';
import { addressesToSave, configToSave, writeConfigFile } from '../../src/quick/save-config.js';

const KEY = keyToBase64(new Uint8Array(32).fill(7));
const PEER = keyToBase64(new Uint8Array(32).fill(9));

describe('quick: config files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quick-files-'));
    await chmod(dir, 0o755);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  describe('locateConfig', () => {
    it('an interface name means CONFIG_DIR/NAME.conf', () => {
      assert.deepEqual(locateConfig('wg0'), { path: '/etc/wireguard/wg0.conf', iface: 'wg0' });
      assert.deepEqual(locateConfig('my_vpn.1', '/srv/wg'), { path: '/srv/wg/my_vpn.1.conf', iface: 'my_vpn.1' });
    });

    it('a path names the interface by its file name', () => {
      assert.deepEqual(locateConfig('./conf/office.conf'), { path: './conf/office.conf', iface: 'office' });
      assert.deepEqual(locateConfig('/a/b/x=y+z.conf'), { path: '/a/b/x=y+z.conf', iface: 'x=y+z' });
    });

    it('rejects files not named IFACE.conf', () => {
      for (const arg of ['/etc/wireguard/wg0.cfg', '/tmp/a-name-longer-than-15.conf', '/tmp/.conf', 'sp ace.conf', 'wg 0']) {
        assert.throws(() => locateConfig(arg), (e: Error) => e instanceof QuickError && /named after its interface/.test(e.message), arg);
      }
    });
  });

  describe('accessWarning', () => {
    it('warns when others may reach and open the file', async () => {
      const file = join(dir, 'wg0.conf');
      await writeFile(file, '');
      await chmod(file, 0o644);
      assert.equal(await accessWarning(file), `Warning: \`${file}' is world accessible`);
      await chmod(dir, 0o711);
      assert.match((await accessWarning(file))!, /world accessible/);
    });

    it('is silent for a private file, or a directory others cannot enter', async () => {
      const file = join(dir, 'wg0.conf');
      await writeFile(file, '');
      await chmod(file, 0o600);
      assert.equal(await accessWarning(file), undefined);
      await chmod(file, 0o644);
      await chmod(dir, 0o750);
      assert.equal(await accessWarning(file), undefined);
    });
  });

  describe('loadConfig', () => {
    it('reads, warns, resolves symbolic links and the Table', async () => {
      const real = join(dir, 'real.txt');
      await writeFile(real, `[Interface]\nPrivateKey = ${KEY}\nTable = main\n`);
      await chmod(real, 0o644);
      await symlink(real, join(dir, 'qk0.conf'));
      const warnings: string[] = [];
      const loaded = await loadConfig('qk0', dir, (line) => warnings.push(line));
      assert.equal(loaded.path, real);
      assert.equal(loaded.iface, 'qk0');
      assert.deepEqual(loaded.table, { kind: 'table', id: 254 });
      assert.deepEqual(warnings, [`Warning: \`${real}' is world accessible`]);
    });

    it('a missing file is one clear error', async () => {
      await assert.rejects(loadConfig(join(dir, 'nope.conf'), undefined, () => undefined), {
        name: 'QuickError',
        message: `\`${join(dir, 'nope.conf')}' does not exist`,
      });
    });

    it('config mistakes name file:line, the Table one included', async () => {
      const file = join(dir, 'qk1.conf');
      await writeFile(file, `[Interface]\nPrivateKey = ${KEY}\nListenPort = 70000\n`, { mode: 0o600 });
      await assert.rejects(loadConfig(file, undefined, () => undefined), (e: Error) => e instanceof ConfigError && e.message.startsWith(`${file}:3: ListenPort: expected a port`));
      await writeFile(file, `[Interface]\nPrivateKey = ${KEY}\n\n Table = nosuchtable\n`);
      await assert.rejects(
        loadConfig(file, undefined, () => undefined),
        (e: Error) => e instanceof ConfigError && e.line === 4 && e.message.includes('Table: expected "off", "auto", a table number or a name') && e.message.includes('"nosuchtable"'),
      );
    });
  });

  describe('SaveConfig', () => {
    const fileText = `[Interface]
Address = 10.0.0.1/24
DNS = 10.0.0.53, example.com
MTU = 1400
Table = 1234
SaveConfig = true
PreUp = echo pre %i
PostDown = echo post %i
PeerSelection = route
PrivateKey = ${KEY}
`;

    it('configToSave: the running device, the live addresses and MTU, the file\'s wg-quick keys', () => {
      const file = parseWgConfig(fileText).interface;
      const running = parseWgConfig(`[Interface]\nPrivateKey = ${KEY}\nListenPort = 51999\n[Peer]\nPublicKey = ${PEER}\nAllowedIPs = 10.9.0.0/16\n`, { wgQuick: false });
      const saved = configToSave(running, file, { addresses: [parsePrefix('10.0.0.1/24')!, parsePrefix('fd00::1/64')!], mtu: 1380 });
      assert.equal(saved.interface.listenPort, 51999);
      assert.equal(saved.interface.mtu, 1380);
      assert.equal(saved.interface.table, '1234');
      assert.equal(saved.interface.saveConfig, true);
      assert.equal(saved.interface.peerSelection, 'route');
      assert.deepEqual(saved.interface.preUp, ['echo pre %i']);
      assert.deepEqual(saved.interface.postDown, ['echo post %i']);
      assert.equal(saved.interface.addresses.length, 2);
      assert.equal(saved.peers.length, 1);
      const noMtu = configToSave(running, parseWgConfig(`[Interface]\nSaveConfig = true\n`).interface, { addresses: [], mtu: 1380 });
      assert.equal(noMtu.interface.mtu, undefined);
    });

    it('addressesToSave: configured addresses, not the kernel\'s own link-local one unless the config names it', () => {
      const address = (text: string, flags: number) => ({ index: 5, address: parsePrefix(text)!, flags, scope: 0 });
      const PERMANENT = 0x80;
      const live = [
        address('10.0.0.1/24', PERMANENT),
        address('fd00::1/64', PERMANENT),
        address('fe80::1234:5678:9abc:def0/64', PERMANENT | 0x800),
        address('fe80::1/64', PERMANENT),
        address('2001:db8::77/64', 0),
      ];
      assert.deepEqual(addressesToSave(live, []).map(formatPrefix), ['10.0.0.1/24', 'fd00::1/64']);
      assert.deepEqual(addressesToSave(live, [parsePrefix('fe80::1/64')!]).map(formatPrefix), ['10.0.0.1/24', 'fd00::1/64', 'fe80::1/64']);
    });

    it('writeConfigFile replaces the file atomically, mode 0600, and leaves no temporary file', async () => {
      const file = join(dir, 'qk2.conf');
      await writeFile(file, 'old\n', { mode: 0o644 });
      await writeFile(`${file}.tmp`, 'stale\n', { mode: 0o644 });
      const config = parseWgConfig(fileText);
      await writeConfigFile(file, config);
      assert.deepEqual(parseWgConfig(await readFile(file, 'utf8')), config);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.deepEqual(await readdir(dir), ['qk2.conf']);
    });

    it('writeConfigFile fails with one clear error and cleans up', async () => {
      await assert.rejects(writeConfigFile(join(dir, 'missing', 'qk3.conf'), parseWgConfig(fileText)), (e: Error) => e instanceof QuickError && e.message.startsWith('could not save the configuration to'));
    });
  });
});
