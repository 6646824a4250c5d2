import assert from 'node:assert/strict';
import { ConfigError } from '../../src/config/config-error.js';
import { keyToBase64 } from '../../src/config/keys.js';
import { formatWgConfig, stripWgQuick } from '../../src/config/wg-config-format.js';
import { parseWgConfig } from '../../src/config/wg-config.js';
import { formatIp, formatPrefix } from '../../src/net/ip.js';

const PRIV = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const PUB1 = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const PUB2 = 'TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=';
const PSK = 'FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE=';

const FULL = `# a full wg-quick file
[Interface]
Address = 10.192.122.1/24, fd00::1/64
Address = 10.10.0.1/16
DNS = 10.0.0.53, fd00::53, example.com
MTU = 1420
Table = 1234
SaveConfig = true
PreUp = echo pre up %i
PostUp = iptables -A FORWARD -i %i -j ACCEPT; echo "done"
PreDown = echo pre down
PostDown = echo post down
PeerSelection = route
SourceCheck = off
ListenPort = 51820
FwMark = 0x1234
PrivateKey = ${PRIV}

[Peer]
PublicKey = ${PUB1}
PresharedKey = ${PSK}
AllowedIPs = 10.192.122.3/32, 10.192.124.0/24
AllowedIPs = fd00::3/128
Endpoint = 209.202.254.14:8172
PersistentKeepalive = 25

[Peer]
PublicKey = ${PUB2}
AllowedIPs = 0.0.0.0/0
Endpoint = [2001:db8::1]:51820
`;

function errorOf(text: string, options = {}): ConfigError {
  try {
    parseWgConfig(text, { file: 'wg0.conf', ...options });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('config/wg-config', () => {
  it('parses every key of wg, wg-quick and viaguard', () => {
    const config = parseWgConfig(FULL);
    const iface = config.interface;
    assert.equal(keyToBase64(iface.privateKey!), PRIV);
    assert.equal(iface.listenPort, 51820);
    assert.equal(iface.fwMark, 0x1234);
    assert.deepEqual(iface.addresses.map(formatPrefix), ['10.192.122.1/24', 'fd00::1/64', '10.10.0.1/16']);
    assert.deepEqual(iface.dns.map(formatIp), ['10.0.0.53', 'fd00::53']);
    assert.deepEqual(iface.dnsSearch, ['example.com']);
    assert.equal(iface.mtu, 1420);
    assert.equal(iface.table, '1234');
    assert.equal(iface.saveConfig, true);
    assert.deepEqual(iface.preUp, ['echo pre up %i']);
    assert.deepEqual(iface.postUp, ['iptables -A FORWARD -i %i -j ACCEPT; echo "done"']);
    assert.deepEqual(iface.preDown, ['echo pre down']);
    assert.deepEqual(iface.postDown, ['echo post down']);
    assert.equal(iface.peerSelection, 'route');
    assert.equal(iface.sourceCheck, 'off');
    assert.equal(config.peers.length, 2);
    const [p1, p2] = config.peers;
    assert.equal(keyToBase64(p1.publicKey), PUB1);
    assert.equal(keyToBase64(p1.presharedKey!), PSK);
    assert.deepEqual(p1.allowedIps.map(formatPrefix), ['10.192.122.3/32', '10.192.124.0/24', 'fd00::3/128']);
    assert.deepEqual(p1.endpoint, { host: '209.202.254.14', port: 8172 });
    assert.equal(p1.persistentKeepalive, 25);
    assert.equal(keyToBase64(p2.publicKey), PUB2);
    assert.deepEqual(p2.endpoint, { host: '2001:db8::1', port: 51820 });
    assert.equal(p2.presharedKey, undefined);
    assert.equal(p2.persistentKeepalive, undefined);
  });

  it('follows wg on case, whitespace and comments', () => {
    const config = parseWgConfig(
      ` [ interface ]  # comment\r\n\tlisten port=  5 1 8 2 0 # wg drops every space\nprivatekey=${PRIV}#c\n#only a comment\n\n[PEER]\npublickey = ${PUB1}\nallowedips = 10.0.0.1 , 10.0.0.2/31\nENDPOINT = vpn.example.com:51820\nPersistentKeepalive = off\n`,
    );
    assert.equal(config.interface.listenPort, 51820);
    assert.equal(keyToBase64(config.interface.privateKey!), PRIV);
    assert.deepEqual(config.peers[0].allowedIps.map(formatPrefix), ['10.0.0.1/32', '10.0.0.2/31']);
    assert.deepEqual(config.peers[0].endpoint, { host: 'vpn.example.com', port: 51820 });
    assert.equal(config.peers[0].persistentKeepalive, 0);
  });

  it('accepts FwMark as off, decimal and lowercase-0x hex, and the last value of a repeated key', () => {
    for (const [text, mark] of [['off', 0], ['OFF', 0], ['0', 0], ['4294967295', 0xffffffff], ['0xffffffff', 0xffffffff], ['0x10', 16], ['010', 10]] as const) {
      assert.equal(parseWgConfig(`[Interface]\nFwMark = ${text}\n`).interface.fwMark, mark, text);
    }
    assert.equal(parseWgConfig('[Interface]\nListenPort = 1\nListenPort = 2\n').interface.listenPort, 2);
  });

  it('names file, line, key, expectation and value for every bad value', () => {
    const cases: [string, string][] = [
      ['[Interface]\nPrivateKey = abc', 'wg0.conf:2: PrivateKey: expected a base64 key of 32 bytes, got "abc"'],
      ['[Interface]\n\n\n\n\n\nListenPort = 70000', 'wg0.conf:7: ListenPort: expected a port 0-65535, got "70000"'],
      ['[Interface]\nListenPort = -1', 'wg0.conf:2: ListenPort: expected a port 0-65535, got "-1"'],
      ['[Interface]\nFwMark = 0x100000000', 'wg0.conf:2: FwMark: expected "off" or a mark 0-0xffffffff, got "0x100000000"'],
      ['[Interface]\nFwMark = 0X10', 'wg0.conf:2: FwMark: expected "off" or a mark 0-0xffffffff, got "0X10"'],
      ['[Interface]\nAddress = 10.0.0.1/33', 'wg0.conf:2: Address: expected IP addresses with optional /prefix-length, got "10.0.0.1/33"'],
      ['[Interface]\nDNS = 10.0.0.256', 'wg0.conf:2: DNS: expected DNS server addresses or search domains, got "10.0.0.256"'],
      ['[Interface]\nDNS = bad!domain', 'wg0.conf:2: DNS: expected DNS server addresses or search domains, got "bad!domain"'],
      ['[Interface]\nMTU = 40', 'wg0.conf:2: MTU: expected an MTU 68-65535, got "40"'],
      ['[Interface]\nTable = main table', 'wg0.conf:2: Table: expected "off", "auto", a table number or name, got "main table"'],
      ['[Interface]\nSaveConfig = yes', 'wg0.conf:2: SaveConfig: expected true or false, got "yes"'],
      ['[Interface]\nPeerSelection = gateway', 'wg0.conf:2: PeerSelection: expected allowed-ips or route, got "gateway"'],
      ['[Interface]\nSourceCheck = strict', 'wg0.conf:2: SourceCheck: expected allowed-ips, route, off, got "strict"'],
      [`[Peer]\nPublicKey = ${PUB1}=`, `wg0.conf:2: PublicKey: expected a base64 key of 32 bytes, got "${PUB1}="`],
      [`[Peer]\nPublicKey = ${PUB1}\nPresharedKey = 00`, 'wg0.conf:3: PresharedKey: expected a base64 key of 32 bytes, got "00"'],
      [`[Peer]\nPublicKey = ${PUB1}\nAllowedIPs = 10.0.0.0/8,`, 'wg0.conf:3: AllowedIPs: expected a comma-separated list of IP prefixes, got "10.0.0.0/8,"'],
      [`[Peer]\nPublicKey = ${PUB1}\nAllowedIPs =`, 'wg0.conf:3: AllowedIPs: expected a comma-separated list of IP prefixes, got ""'],
      [`[Peer]\nPublicKey = ${PUB1}\nAllowedIPs = ::/129`, 'wg0.conf:3: AllowedIPs: expected a comma-separated list of IP prefixes, got "::/129"'],
      [`[Peer]\nPublicKey = ${PUB1}\nAllowedIPs = -10.0.0.0/8`, 'wg0.conf:3: AllowedIPs: expected a comma-separated list of IP prefixes, got "-10.0.0.0/8"'],
      [`[Peer]\nPublicKey = ${PUB1}\nEndpoint = 1.2.3.4`, 'wg0.conf:3: Endpoint: expected host:port or [IPv6]:port, got "1.2.3.4"'],
      [`[Peer]\nPublicKey = ${PUB1}\nEndpoint = [1.2.3.4]:5`, 'wg0.conf:3: Endpoint: expected host:port or [IPv6]:port, got "[1.2.3.4]:5"'],
      [`[Peer]\nPublicKey = ${PUB1}\nEndpoint = host:65536`, 'wg0.conf:3: Endpoint: expected host:port or [IPv6]:port, got "host:65536"'],
      [`[Peer]\nPublicKey = ${PUB1}\nPersistentKeepalive = 65536`, 'wg0.conf:3: PersistentKeepalive: expected "off" or seconds 0-65535, got "65536"'],
    ];
    for (const [text, message] of cases) assert.equal(errorOf(text).message, message, text);
    const error = errorOf('[Interface]\nListenPort = 70000');
    assert.deepEqual([error.file, error.line, error.key, error.expected, error.got], ['wg0.conf', 2, 'ListenPort', 'a port 0-65535', '70000']);
  });

  it('rejects unknown keys and sections with the nearest known one suggested', () => {
    assert.equal(errorOf('[Interface]\n\nPrivatKey = x').message, 'wg0.conf:3: unknown key "PrivatKey" (did you mean "PrivateKey"?)');
    assert.equal(errorOf(`[Peer]\nPublicKey = ${PUB1}\nAllowedIP = 1.2.3.4`).message, 'wg0.conf:3: unknown key "AllowedIP" (did you mean "AllowedIPs"?)');
    assert.equal(errorOf('[Interface]\nAdress = 10.0.0.1/24').message, 'wg0.conf:2: unknown key "Adress" (did you mean "Address"?)');
    assert.equal(errorOf('[Interface]\nFrobnicate = 1').message, 'wg0.conf:2: unknown key "Frobnicate"');
    assert.equal(errorOf('[Peers]').message, 'wg0.conf:1: unknown section "[Peers]" (did you mean "[Peer]"?)');
    assert.equal(errorOf('[Interface]\nListenPort').message, 'wg0.conf:2: expected "Key = Value" or a section header, got "ListenPort"');
    assert.equal(errorOf('ListenPort = 1').message, 'wg0.conf:1: ListenPort: appears before any [Interface] or [Peer] section');
    assert.equal(errorOf(`[Peer]\nPublicKey = ${PUB1}\nListenPort = 1`).message, 'wg0.conf:3: ListenPort: belongs in [Interface], not in [Peer]');
    assert.equal(errorOf('[Interface]\nEndpoint = a:1').message, 'wg0.conf:2: Endpoint: belongs in [Peer], not in [Interface]');
    assert.equal(errorOf('[Interface]\n[Peer]\nAllowedIPs = 10.0.0.0/8\n').message, 'wg0.conf:2: [Peer]: this section has no PublicKey');
  });

  it('rejects wg-quick keys when parsing for wg setconf', () => {
    assert.equal(errorOf('[Interface]\nAddress = 10.0.0.1/24', { wgQuick: false }).message, 'wg0.conf:2: Address: a wg-quick key, which wg setconf does not accept (strip it with "wg-quick strip")');
    assert.equal(parseWgConfig(`[Interface]\nPrivateKey = ${PRIV}\nSourceCheck = route\n`, { wgQuick: false }).interface.sourceCheck, 'route');
  });

  it('formats like wg showconf and round-trips', () => {
    const text = formatWgConfig(parseWgConfig(`[Interface]\nPrivateKey = ${PRIV}\nListenPort = 51820\nFwMark = 0x10\n[Peer]\nPublicKey = ${PUB1}\nAllowedIPs = 10.0.0.0/8\nAllowedIPs = ::/0\nEndpoint = [fd00::1]:5\nPersistentKeepalive = 5\n[Peer]\nPublicKey = ${PUB2}\n`));
    assert.equal(
      text,
      `[Interface]\nListenPort = 51820\nFwMark = 0x10\nPrivateKey = ${PRIV}\n\n[Peer]\nPublicKey = ${PUB1}\nAllowedIPs = 10.0.0.0/8, ::/0\nEndpoint = [fd00::1]:5\nPersistentKeepalive = 5\n\n[Peer]\nPublicKey = ${PUB2}\n`,
    );
    const full = parseWgConfig(FULL);
    assert.deepEqual(parseWgConfig(formatWgConfig(full)), full);
  });

  it('strips wg-quick keys like wg-quick strip, validating first', () => {
    const stripped = stripWgQuick(FULL);
    assert.doesNotMatch(stripped, /Address|DNS|MTU|Table|SaveConfig|PreUp|PostUp|PreDown|PostDown|PeerSelection|SourceCheck/);
    assert.match(stripped, /^# a full wg-quick file\n\[Interface\]\nListenPort = 51820\n/);
    const parsed = parseWgConfig(stripped, { wgQuick: false });
    const full = parseWgConfig(FULL);
    assert.deepEqual(parsed.peers, full.peers);
    assert.equal(parsed.interface.listenPort, 51820);
    assert.match(stripWgQuick(FULL, { keepViaguardKeys: true }), /PeerSelection = route\nSourceCheck = off\n/);
    assert.throws(() => stripWgQuick('[Interface]\nMTU = x', { file: 'a.conf' }), /^ConfigError: a\.conf:2: MTU: expected an MTU 68-65535, got "x"$/);
  });
});
