// Our port of the Linux kernel's WireGuard selftest, tools/testing/selftests/wireguard/netns.sh
// (GPL-2.0; written anew here, following its sections, topologies, addresses, command sequence
// and numeric checks) to a userspace daemon on the stage of selftest-world.ts. Each command of
// the original that can fail is part of a named check, run in order; a failed check does not stop
// the run (later checks set up what they need), so a run counts passes per implementation.
//
// Userspace equivalents: see selftest-world.ts. Other substitutions, each noted where it happens:
// iptables rules are written as nftables rules (this machine has nft, not iptables), ncat is
// socat, the dummy interface is an address on lo (no dummy module), iperf3 runs 1 s instead of 3
// and the parallel-TCP rounds of 4 and 5 streams run, the one of 50 does not (2 shared vCPUs, a
// few minutes for the whole port), and the 0.1 s/1 s read timeouts become short waits on conditions.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { wgKeyPair } from '../../src/testing/tunnel-pair.js';
import { run } from './run.js';
import { SelftestWorld, until } from './selftest-world.js';

export interface SelftestCheck {
  section: string;
  name: string;
  run(): Promise<void>;
}

/** Checks of the original that only the kernel's own interface can pass, with the reason. */
export const KERNEL_ONLY_CHECKS: { name: string; reason: string }[] = [
  {
    name: 'counters: `ip -stats link show dev wg0` rx 1372 / tx 1428 bytes',
    reason: "a TUN device's kernel counters count the inner packets the daemon reads and writes (10 × 84 bytes), not WireGuard messages; `wg show transfer` is checked instead",
  },
  {
    name: 'no circular references: every object created (in /dev/kmsg) is destroyed after namespaces are deleted',
    reason: "the kernel module's debug messages about its own objects; a daemon's process (which keeps its namespace alive) has no such log",
  },
];

/**
 * Checks Debian's wireguard-go (0.0.20220316) fails, with why: the port's test asserts that
 * exactly these fail for it, which shows the harness can see a failure.
 */
export const WIREGUARD_GO_FAILURES: Record<string, string> = {
  'routing loop: the loop dies out (< 70000 bytes sent by wg1 in the next second)':
    'its UDP datagrams may be fragmented, so the loop grows: tens of MB in that second',
  'ICMP error: a packet for a removed peer, forwarded through ns2, gets "Destination Host Unreachable" from 10.0.0.100':
    'it drops a packet no peer owns silently',
  'not too sticky over IPv4: the old source address removed, the new one is used':
    'it keeps sending from the removed address',
};

/**
 * Checks viaguardd fails, with why; asserted to fail like wireguard-go's, so the day one passes
 * the test says so. None today: the last one, the ICMP error through NAT, passes since the data
 * plane asks conntrack and answers a SNATed packet from the host stack (icmp_ndo_send).
 */
export const VIAGUARDD_FAILURES: Record<string, string> = {};

const IPERF_SECONDS = '1';
const PARALLEL_ROUNDS = [4, 5];

export function kernelSelftest(world: SelftestWorld): SelftestCheck[] {
  const checks: SelftestCheck[] = [];
  let section = '';
  const check = (name: string, fn: () => Promise<void>) => checks.push({ section, name, run: fn });

  const [k1, k2, k3, k4] = [wgKeyPair(), wgKeyPair(), wgKeyPair(), wgKeyPair()];
  const psk = randomBytes(32).toString('base64');
  const key = (label: string, value: string) => world.keyFile(label, value);
  const WG0 = 'wg0';
  const WG1 = 'wg1';
  let origMtu = 0;
  let bigMtu = 0;

  const ip = (i: number, ...args: string[]) => world.ip(i, ...args);
  const wg = (i: number, iface: string, ...args: string[]) => world.wgOk(i, iface, args);
  const ping = (i: number, ...args: string[]) => world.nOk(i, 'ping', args);
  /** A table of one base chain with one rule (`nft -f`); dropped again with nftDelete. */
  const nft = (i: number, table: string, chain: string, rule: string) =>
    world.nOk(i, 'nft', ['-f', '-'], { input: `table ip ${table} {\n\tchain c {\n\t\t${chain};\n\t\t${rule}\n\t}\n}\n` });
  const nftDelete = (i: number, table: string) => world.nOk(i, 'nft', ['delete', 'table', 'ip', table]);
  const endpoints = async (i: number, iface = WG0) => (await wg(i, iface, 'show', iface, 'endpoints')).trimEnd();
  const listening = async (i: number, proto: 't' | 'u', port: number) =>
    (await run('ss', ['-N', world.name(i), `-${proto}lnH`, `sport = :${port}`])).stdout.trim() !== '';
  const setMtu = async (mtu: number) => {
    await ip(1, 'link', 'set', WG0, 'mtu', String(mtu));
    await ip(2, 'link', 'set', WG0, 'mtu', String(mtu));
  };

  /** iperf3 server in ns `server`, client in ns `client`; both must succeed. */
  const iperf = async (server: number, bind: string, client: number, clientArgs: string[], port = 5201) => {
    const serving = world.n(server, 'iperf3', ['-s', '-1', '-p', String(port), '-B', bind], { timeoutMs: 30_000 });
    await until(`iperf3 listens on ${port} in ns${server}`, () => listening(server, 't', port));
    const result = await world.n(client, 'iperf3', ['-Z', '-t', IPERF_SECONDS, '-p', String(port), ...clientArgs, '-c', bind], { timeoutMs: 30_000 });
    const served = await serving;
    if (result.code !== 0 || served.code !== 0) {
      throw new Error(`iperf3 to ${bind}:${port} failed: client ${result.code} ${result.stderr.trim() || result.stdout.slice(-300)}; server ${served.code} ${served.stderr.trim()}`);
    }
  };

  /** A UDP datagram "X" from ns `from` to ADDRESS:1111, listened for in ns `at`; returns what arrived within 1 s. */
  const udpX = async (at: number, from: number, address: string): Promise<string> => {
    const listener = world.n(at, 'timeout', ['1.5', 'socat', '-u', 'UDP-RECV:1111', 'STDOUT']);
    await until(`socat listens on udp 1111 in ns${at}`, () => listening(at, 'u', 1111));
    await world.nOk(from, 'socat', ['-u', 'STDIN', `UDP-SENDTO:${address}:1111`], { input: 'X\n' });
    return (await listener).stdout;
  };

  const configurePeers = async () => {
    await ip(1, 'addr', 'add', '192.168.241.1/24', 'dev', WG0);
    await ip(1, 'addr', 'add', 'fd00::1/112', 'dev', WG0);
    await ip(2, 'addr', 'add', '192.168.241.2/24', 'dev', WG0);
    await ip(2, 'addr', 'add', 'fd00::2/112', 'dev', WG0);
    await wg(1, WG0, 'set', WG0, 'private-key', key('k1', k1.privateKey), 'listen-port', '1', 'peer', k2.publicKey, 'preshared-key', key('psk', psk), 'allowed-ips', '192.168.241.2/32,fd00::2/128');
    await wg(2, WG0, 'set', WG0, 'private-key', key('k2', k2.privateKey), 'listen-port', '2', 'peer', k1.publicKey, 'preshared-key', key('psk', psk), 'allowed-ips', '192.168.241.1/32,fd00::1/128');
    await ip(1, 'link', 'set', 'up', 'dev', WG0);
    await ip(2, 'link', 'set', 'up', 'dev', WG0);
  };

  // The original's tests(): pings, TCP and UDP both ways over both inner families, parallel TCP.
  const tests = (label: string) => {
    check(`${label}: ping 192.168.241.1 from ns2`, () => ping(2, '-c', '10', '-f', '-W', '1', '192.168.241.1').then(() => undefined));
    check(`${label}: ping 192.168.241.2 from ns1`, () => ping(1, '-c', '10', '-f', '-W', '1', '192.168.241.2').then(() => undefined));
    check(`${label}: ping fd00::1 from ns2`, () => ping(2, '-6', '-c', '10', '-f', '-W', '1', 'fd00::1').then(() => undefined));
    check(`${label}: ping fd00::2 from ns1`, () => ping(1, '-6', '-c', '10', '-f', '-W', '1', 'fd00::2').then(() => undefined));
    check(`${label}: TCP over IPv4 (iperf3 ns1 → ns2)`, () => iperf(2, '192.168.241.2', 1, []));
    check(`${label}: TCP over IPv6 (iperf3 ns2 → ns1)`, () => iperf(1, 'fd00::1', 2, []));
    check(`${label}: UDP over IPv4 (iperf3 -u -b 0, ns2 → ns1)`, () => iperf(1, '192.168.241.1', 2, ['-b', '0', '-u']));
    check(`${label}: UDP over IPv6 (iperf3 -u -b 0, ns1 → ns2)`, () => iperf(2, 'fd00::2', 1, ['-b', '0', '-u']));
    check(`${label}: TCP over IPv4 in parallel (${PARALLEL_ROUNDS.join(', ')} streams)`, async () => {
      for (const max of PARALLEL_ROUNDS) {
        const ports = Array.from({ length: max }, (_, i) => 5200 + i);
        await Promise.all(ports.map((port) => iperf(2, '192.168.241.2', 1, [], port)));
      }
    });
  };

  // ── Topology 1: wg0 of ns1 and ns2 both created in ns0 (the netns trick), endpoints on ns0's lo.
  section = 'netns topology';
  check('setup: wg0 created in ns0 and moved to ns1, another wg0 created in ns0 and moved to ns2', async () => {
    await world.addWg(1, WG0, { createdIn: 0 });
    await world.addWg(2, WG0, { createdIn: 0 });
  });
  check('setup: configure peers (addresses, keys, psk, allowed-ips, up)', configurePeers);
  check('setup: read the original MTU', async () => {
    origMtu = Number(/mtu (\d+)/.exec(await ip(1, 'link', 'show', 'dev', WG0))![1]);
    bigMtu = 34816 - 1500 + origMtu;
  });
  check('IPv4 outer: endpoints 127.0.0.1:2 and 127.0.0.1:1', async () => {
    await wg(1, WG0, 'set', WG0, 'peer', k2.publicKey, 'endpoint', '127.0.0.1:2');
    await wg(2, WG0, 'set', WG0, 'peer', k1.publicKey, 'endpoint', '127.0.0.1:1');
  });
  check('counters: ping -c 10 -f 192.168.241.1 from ns2', () => ping(2, '-c', '10', '-f', '-W', '1', '192.168.241.1').then(() => undefined));
  check('counters: `wg show wg0 transfer` in ns2: rx 1372, tx 1428 or 1460 bytes', async () => {
    const [, rx, tx] = (await wg(2, WG0, 'show', WG0, 'transfer')).trim().split('\t').map(Number);
    assert.ok(rx === 1372 && (tx === 1428 || tx === 1460), `rx ${rx} tx ${tx}`);
  });
  check('counters: `wg show wg0 transfer` in ns1: tx 1372, rx 1428 or 1460 bytes', async () => {
    const [, rx, tx] = (await wg(1, WG0, 'show', WG0, 'transfer')).trim().split('\t').map(Number);
    assert.ok(tx === 1372 && (rx === 1428 || rx === 1460), `rx ${rx} tx ${tx}`);
  });
  check('counters: latest handshake in ns1 is not 0', async () => {
    const [, timestamp] = (await wg(1, WG0, 'show', WG0, 'latest-handshakes')).trim().split('\t');
    assert.notEqual(Number(timestamp), 0);
  });
  tests('IPv4 outer');
  check('IPv4 outer: MTU raised to 34816 - 1500 + the original', () => setMtu(bigMtu));
  tests('IPv4 outer, big MTU');
  check('IPv6 outer: original MTU, endpoints [::1]:2 and [::1]:1', async () => {
    await setMtu(origMtu);
    await wg(1, WG0, 'set', WG0, 'peer', k2.publicKey, 'endpoint', '[::1]:2');
    await wg(2, WG0, 'set', WG0, 'peer', k1.publicKey, 'endpoint', '[::1]:1');
  });
  tests('IPv6 outer');
  check('IPv6 outer: MTU raised to 34816 - 1500 + the original', () => setMtu(bigMtu));
  tests('IPv6 outer, big MTU');

  check('route MTU 1299 under a device MTU of 1300: padding stays within the route MTU (outer 1360 bytes dropped)', async () => {
    await setMtu(1300);
    await wg(1, WG0, 'set', WG0, 'peer', k2.publicKey, 'endpoint', '127.0.0.1:2');
    await wg(2, WG0, 'set', WG0, 'peer', k1.publicKey, 'endpoint', '127.0.0.1:1');
    // iptables -A INPUT -m length --length 1360 -j DROP
    await nft(0, 'vgst_mtu', 'type filter hook input priority 0', 'meta length 1360 drop');
    try {
      await run('ip', ['-n', world.name(1), 'route', 'add', '192.168.241.2/32', 'dev', WG0, 'mtu', '1299']);
      await run('ip', ['-n', world.name(2), 'route', 'add', '192.168.241.1/32', 'dev', WG0, 'mtu', '1299']);
      await ping(2, '-c', '1', '-W', '1', '-s', '1269', '192.168.241.1');
    } finally {
      await run('ip', ['-n', world.name(2), 'route', 'delete', '192.168.241.1/32', 'dev', WG0, 'mtu', '1299']);
      await run('ip', ['-n', world.name(1), 'route', 'delete', '192.168.241.2/32', 'dev', WG0, 'mtu', '1299']);
      await nftDelete(0, 'vgst_mtu');
      await setMtu(origMtu);
    }
  });

  check('roaming over IPv4: ns1 moves to 127.212.121.99:9999 and ns2 follows', async () => {
    await ip(0, '-4', 'addr', 'del', '127.0.0.1/8', 'dev', 'lo');
    await ip(0, '-4', 'addr', 'add', '127.212.121.99/8', 'dev', 'lo');
    await wg(1, WG0, 'set', WG0, 'listen-port', '9999');
    await wg(1, WG0, 'set', WG0, 'peer', k2.publicKey, 'endpoint', '127.0.0.1:2');
    await ping(1, '-6', '-W', '1', '-c', '1', 'fd00::2');
    assert.equal(await endpoints(2), `${k1.publicKey}\t127.212.121.99:9999`);
  });
  check('roaming over IPv6: ns1 moves to [::1]:9998 and ns2 follows', async () => {
    await wg(1, WG0, 'set', WG0, 'listen-port', '9998');
    await wg(1, WG0, 'set', WG0, 'peer', k2.publicKey, 'endpoint', '[::1]:2');
    await ping(1, '-W', '1', '-c', '1', '192.168.241.2');
    assert.equal(await endpoints(2), `${k1.publicKey}\t[::1]:9998`);
  });

  const moreSpecific = wgKeyPair().publicKey;
  check('crypto-RP filter: a datagram from an allowed source arrives', async () => {
    await wg(1, WG0, 'set', WG0, 'peer', k2.publicKey, 'allowed-ips', '192.168.241.0/24');
    assert.match(await udpX(1, 2, '192.168.241.1'), /^X/);
  });
  check('crypto-RP filter: dropped once a more specific peer owns the source', async () => {
    await wg(1, WG0, 'set', WG0, 'peer', moreSpecific, 'allowed-ips', '192.168.241.2/32');
    await wg(2, WG0, 'set', WG0, 'listen-port', '9997');
    assert.equal(await udpX(1, 2, '192.168.241.1'), '');
  });
  check('crypto-RP filter: the endpoint was still learnt from the dropped packet ([::1]:9997)', async () => {
    await wg(1, WG0, 'set', WG0, 'peer', moreSpecific, 'remove');
    assert.equal(await endpoints(1), `${k2.publicKey}\t[::1]:9997`);
  });

  check('keys: set again, handshake at once', async () => {
    await wg(1, WG0, 'set', WG0, 'private-key', key('k1', k1.privateKey), 'peer', k2.publicKey, 'preshared-key', key('psk', psk), 'allowed-ips', '192.168.241.2/32', 'endpoint', '127.0.0.1:2');
    await wg(2, WG0, 'set', WG0, 'private-key', key('k2', k2.privateKey), 'listen-port', '2', 'peer', k1.publicKey, 'preshared-key', key('psk', psk), 'allowed-ips', '192.168.241.1/32');
    await ping(1, '-W', '1', '-c', '1', '192.168.241.2');
  });
  check('keys: a new private key in ns1, ns2 swaps the peer, handshake at once', async () => {
    await wg(1, WG0, 'set', WG0, 'private-key', key('k3', k3.privateKey));
    await wg(2, WG0, 'set', WG0, 'peer', k3.publicKey, 'preshared-key', key('psk', psk), 'allowed-ips', '192.168.241.1/32', 'peer', k1.publicKey, 'remove');
    await ping(1, '-W', '1', '-c', '1', '192.168.241.2');
    await wg(2, WG0, 'set', WG0, 'peer', k3.publicKey, 'remove');
  });

  check('setup: wg through wg (wg1 of ns1 and ns2 over wg0 on fd00::5:0/112, MTU 1340)', async () => {
    await ip(1, 'addr', 'flush', 'dev', WG0);
    await ip(2, 'addr', 'flush', 'dev', WG0);
    await ip(1, 'addr', 'add', 'fd00::5:1/112', 'dev', WG0);
    await ip(2, 'addr', 'add', 'fd00::5:2/112', 'dev', WG0);
    await wg(1, WG0, 'set', WG0, 'private-key', key('k1', k1.privateKey), 'peer', k2.publicKey, 'preshared-key', key('psk', psk), 'allowed-ips', 'fd00::5:2/128', 'endpoint', '127.0.0.1:2');
    await wg(2, WG0, 'set', WG0, 'private-key', key('k2', k2.privateKey), 'listen-port', '2', 'peer', k1.publicKey, 'preshared-key', key('psk', psk), 'allowed-ips', 'fd00::5:1/128', 'endpoint', '127.212.121.99:9998');
    await world.addWg(1, WG1);
    await world.addWg(2, WG1);
    await ip(1, 'addr', 'add', '192.168.241.1/24', 'dev', WG1);
    await ip(1, 'addr', 'add', 'fd00::1/112', 'dev', WG1);
    await ip(2, 'addr', 'add', '192.168.241.2/24', 'dev', WG1);
    await ip(2, 'addr', 'add', 'fd00::2/112', 'dev', WG1);
    await ip(1, 'link', 'set', 'mtu', '1340', 'up', 'dev', WG1);
    await ip(2, 'link', 'set', 'mtu', '1340', 'up', 'dev', WG1);
    await wg(1, WG1, 'set', WG1, 'listen-port', '5', 'private-key', key('k3', k3.privateKey), 'peer', k4.publicKey, 'allowed-ips', '192.168.241.2/32,fd00::2/128', 'endpoint', '[fd00::5:2]:5');
    await wg(2, WG1, 'set', WG1, 'listen-port', '5', 'private-key', key('k4', k4.privateKey), 'peer', k3.publicKey, 'allowed-ips', '192.168.241.1/32,fd00::1/128', 'endpoint', '[fd00::5:1]:5');
  });
  tests('wg through wg');

  let txBefore = 0;
  check('routing loop: wg1 of ns1 moved to ns0 still reaches ns2', async () => {
    await world.moveWg(WG1, 1, 0);
    await ip(0, 'addr', 'add', '192.168.241.1/24', 'dev', WG1);
    await ip(0, 'link', 'set', 'up', 'dev', WG1);
    await ping(0, '-W', '1', '-c', '1', '192.168.241.2');
  });
  check('routing loop: with wg0 of ns1 aimed into wg1, pings get no answer', async () => {
    await wg(1, WG0, 'set', WG0, 'peer', k2.publicKey, 'endpoint', '192.168.241.2:7');
    await world.delWg(2, WG0);
    await world.delWg(2, WG1);
    txBefore = Number((await wg(0, WG1, 'show', WG1, 'transfer')).trim().split('\t')[2]);
    const result = await world.n(0, 'ping', ['-W', '1', '-c', '10', '-f', '192.168.241.2']);
    assert.notEqual(result.code, 0, 'ping through the loop got answers');
  });
  check('routing loop: the loop dies out (< 70000 bytes sent by wg1 in the next second)', async () => {
    await new Promise((r) => setTimeout(r, 1000));
    const txAfter = Number((await wg(0, WG1, 'show', WG1, 'transfer')).trim().split('\t')[2]);
    assert.ok(txAfter - txBefore < 70_000, `${txAfter - txBefore} bytes`);
  });
  check('teardown: delete wg1 in ns0 and wg0 in ns1 (both daemons exit)', async () => {
    await world.delWg(0, WG1);
    await world.delWg(1, WG0);
  });

  // ── Topology 2: NAT. ns1 —vethc/vethrc— ns0 (SNAT, forwarding) —vethrs/veths— ns2.
  section = 'NAT topology';
  check('setup: wg0 in ns1 and ns2, veths through ns0, SNAT 192.168.1.0/24 → 10.0.0.1', async () => {
    await world.addWg(1, WG0);
    await world.addWg(2, WG0);
    await configurePeers();
    await ip(0, 'link', 'add', 'vethrc', 'type', 'veth', 'peer', 'name', 'vethc');
    await ip(0, 'link', 'add', 'vethrs', 'type', 'veth', 'peer', 'name', 'veths');
    await ip(0, 'link', 'set', 'vethc', 'netns', world.name(1));
    await ip(0, 'link', 'set', 'veths', 'netns', world.name(2));
    await ip(0, 'link', 'set', 'vethrc', 'up');
    await ip(0, 'link', 'set', 'vethrs', 'up');
    await ip(0, 'addr', 'add', '192.168.1.1/24', 'dev', 'vethrc');
    await ip(0, 'addr', 'add', '10.0.0.1/24', 'dev', 'vethrs');
    await ip(1, 'addr', 'add', '192.168.1.100/24', 'dev', 'vethc');
    await ip(1, 'link', 'set', 'vethc', 'up');
    await ip(1, 'route', 'add', 'default', 'via', '192.168.1.1');
    await ip(2, 'addr', 'add', '10.0.0.100/24', 'dev', 'veths');
    await ip(2, 'link', 'set', 'veths', 'up');
    for (const [i, dev] of [[0, 'vethrc'], [0, 'vethrs'], [1, 'vethc'], [2, 'veths']] as const) {
      await until(`${dev} is up`, async () => (await world.nOk(i, 'cat', [`/sys/class/net/${dev}/operstate`])).trim() === 'up');
    }
    await world.sysctl(0, 'net/ipv4/ip_forward', '1');
    // iptables -t nat -A POSTROUTING -s 192.168.1.0/24 -d 10.0.0.0/24 -j SNAT --to 10.0.0.1
    await nft(0, 'vgst_nat', 'type nat hook postrouting priority 100', 'ip saddr 192.168.1.0/24 ip daddr 10.0.0.0/24 snat to 10.0.0.1');
    await world.sysctl(0, 'net/netfilter/nf_conntrack_udp_timeout', '2');
    await world.sysctl(0, 'net/netfilter/nf_conntrack_udp_timeout_stream', '2');
  });
  check('NAT: handshake through SNAT, ns2 sees ns1 at 10.0.0.1:1', async () => {
    await wg(1, WG0, 'set', WG0, 'peer', k2.publicKey, 'endpoint', '10.0.0.100:2', 'persistent-keepalive', '1');
    await ping(1, '-W', '1', '-c', '1', '192.168.241.2');
    await ping(2, '-W', '1', '-c', '1', '192.168.241.1');
    assert.equal(await endpoints(2), `${k1.publicKey}\t10.0.0.1:1`);
  });
  check('NAT: persistent keepalive keeps the mapping (ns2 reaches ns1 after 3 s)', async () => {
    await new Promise((r) => setTimeout(r, 3000));
    await ping(2, '-W', '1', '-c', '1', '192.168.241.1');
    await wg(1, WG0, 'set', WG0, 'peer', k2.publicKey, 'persistent-keepalive', '0');
  });
  check('sk_bound_dev_if: ping -I wg0', () => ping(1, '-I', WG0, '-c', '1', '-W', '1', '192.168.241.2').then(() => undefined));
  check('rerouting on a mark set in OUTPUT (plain, then ping -I wg0)', async () => {
    // iptables -t mangle -I OUTPUT -j MARK --set-xmark 1
    await nft(1, 'vgst_mangle', 'type route hook output priority -150', 'meta mark set 1');
    try {
      await ping(1, '-c', '1', '-W', '1', '192.168.241.2');
      await ping(1, '-I', WG0, '-c', '1', '-W', '1', '192.168.241.2');
    } finally {
      await nftDelete(1, 'vgst_mangle');
    }
  });
  check('onion routing: wg1 of ns2 reached through wg0', async () => {
    await wg(1, WG0, 'set', WG0, 'peer', k3.publicKey, 'allowed-ips', '192.168.242.2/32', 'endpoint', '192.168.241.2:5');
    await ip(1, 'addr', 'add', '192.168.242.1/24', 'dev', WG0);
    await world.addWg(2, WG1);
    await ip(2, 'addr', 'add', '192.168.242.2/24', 'dev', WG1);
    await wg(2, WG1, 'set', WG1, 'private-key', key('k3', k3.privateKey), 'listen-port', '5', 'peer', k1.publicKey, 'allowed-ips', '192.168.242.1/32');
    await ip(2, 'link', 'set', WG1, 'up');
    await ping(1, '-W', '1', '-c', '1', '192.168.242.2');
  });
  check('onion routing: a loop into itself fails without harm', async () => {
    await world.delWg(2, WG1);
    await wg(1, WG0, 'set', WG0, 'peer', k3.publicKey, 'endpoint', '192.168.242.2:5');
    const result = await world.n(1, 'ping', ['-W', '1', '-c', '1', '192.168.242.2']);
    assert.notEqual(result.code, 0);
    await wg(1, WG0, 'set', WG0, 'peer', k3.publicKey, 'remove');
    await ip(1, 'addr', 'del', '192.168.242.1/24', 'dev', WG0);
    assert.doesNotThrow(() => process.kill(world.pidOf(1, WG0), 0), 'the daemon survived');
  });
  check('wg-quick style policy routing of the default route (fwmark 51820), 100 flood pings per family', async () => {
    await ip(1, '-6', 'addr', 'add', 'fc00::9/96', 'dev', 'vethc');
    await ip(1, '-6', 'route', 'add', 'default', 'via', 'fc00::1');
    await ip(2, '-4', 'addr', 'add', '192.168.99.7/32', 'dev', WG0);
    await ip(2, '-6', 'addr', 'add', 'abab::1111/128', 'dev', WG0);
    await wg(1, WG0, 'set', WG0, 'fwmark', '51820', 'peer', k2.publicKey, 'allowed-ips', '192.168.99.7,abab::1111');
    for (const family of ['-6', '-4']) {
      await ip(1, family, 'route', 'add', 'default', 'dev', WG0, 'table', '51820');
      await ip(1, family, 'rule', 'add', 'not', 'fwmark', '51820', 'table', '51820');
      await ip(1, family, 'rule', 'add', 'table', 'main', 'suppress_prefixlength', '0');
    }
    await world.sysctl(1, 'net/ipv4/conf/vethc/rp_filter', '0');
    await ping(1, '-W', '1', '-c', '100', '-f', '192.168.99.7');
    await ping(1, '-W', '1', '-c', '100', '-f', 'abab::1111');
  });
  check('ICMP error: a packet for a removed peer, forwarded through ns2, gets "Destination Host Unreachable" from 10.0.0.100', async () => {
    // iptables -t nat -A POSTROUTING -s 10.0.0.0/24 -d 192.168.241.0/24 -j SNAT --to 192.168.241.2 (ns2)
    await nft(2, 'vgst_nat', 'type nat hook postrouting priority 100', 'ip saddr 10.0.0.0/24 ip daddr 192.168.241.0/24 snat to 192.168.241.2');
    // iptables -t filter -A INPUT ! -s 10.0.0.0/24 -i vethrs -j DROP (ns0): a manual rp_filter
    await nft(0, 'vgst_filter', 'type filter hook input priority 0', 'iifname "vethrs" ip saddr != 10.0.0.0/24 drop');
    await world.sysctl(2, 'net/ipv4/ip_forward', '1');
    await ip(0, '-4', 'route', 'add', '192.168.241.1', 'via', '10.0.0.100');
    await wg(2, WG0, 'set', WG0, 'peer', k1.publicKey, 'remove');
    const result = await world.n(0, 'ping', ['-W', '1', '-c', '1', '192.168.241.1']);
    assert.notEqual(result.code, 0);
    assert.match(result.stdout, /From 10\.0\.0\.100 icmp_seq=1 Destination Host Unreachable/);
  });
  check('teardown: NAT rules, veths, wg0 in ns1 and ns2', async () => {
    for (const [i, table] of [[0, 'vgst_nat'], [0, 'vgst_filter'], [2, 'vgst_nat']] as const) await run('ip', ['netns', 'exec', world.name(i), 'nft', 'delete', 'table', 'ip', table]);
    await ip(0, 'link', 'del', 'vethrc');
    await ip(0, 'link', 'del', 'vethrs');
    await world.delWg(1, WG0);
    await world.delWg(2, WG0);
  });

  // ── Topology 3: source addresses sticky but not too sticky. ns1 —veth1/veth2— ns2.
  section = 'source address topology';
  check('setup: wg0 in ns1 and ns2, veth1/veth2, no DAD, promote_secondaries', async () => {
    await world.addWg(1, WG0);
    await world.addWg(2, WG0);
    await configurePeers();
    await ip(1, 'link', 'add', 'veth1', 'type', 'veth', 'peer', 'name', 'veth2');
    await ip(1, 'link', 'set', 'veth2', 'netns', world.name(2));
    await world.sysctl(1, 'net/ipv6/conf/all/accept_dad', '0');
    await world.sysctl(2, 'net/ipv6/conf/all/accept_dad', '0');
    await world.sysctl(1, 'net/ipv6/conf/veth1/accept_dad', '0');
    await world.sysctl(2, 'net/ipv6/conf/veth2/accept_dad', '0');
    await world.sysctl(1, 'net/ipv4/conf/veth1/promote_secondaries', '1');
  });
  const vethsUp = async (pairs: [number, string][]) => {
    for (const [i, dev] of pairs) await ip(i, 'link', 'set', dev, 'up');
    for (const [i, dev] of pairs) {
      await until(`${dev} is up`, async () => (await world.nOk(i, 'cat', [`/sys/class/net/${dev}/operstate`])).trim() === 'up');
    }
  };
  check('not too sticky over IPv4: the old source address removed, the new one is used', async () => {
    await ip(1, 'addr', 'add', '10.0.0.1/24', 'dev', 'veth1');
    await ip(1, 'addr', 'add', 'fd00:aa::1/96', 'dev', 'veth1');
    await ip(2, 'addr', 'add', '10.0.0.2/24', 'dev', 'veth2');
    await ip(2, 'addr', 'add', 'fd00:aa::2/96', 'dev', 'veth2');
    await vethsUp([[1, 'veth1'], [2, 'veth2']]);
    await wg(1, WG0, 'set', WG0, 'peer', k2.publicKey, 'endpoint', '10.0.0.2:2');
    await ping(1, '-W', '1', '-c', '1', '192.168.241.2');
    await ip(1, 'addr', 'add', '10.0.0.10/24', 'dev', 'veth1');
    await ip(1, 'addr', 'del', '10.0.0.1/24', 'dev', 'veth1');
    await ping(1, '-W', '1', '-c', '1', '192.168.241.2');
  });
  check('not too sticky over IPv6: the old source address removed, the new one is used', async () => {
    await wg(1, WG0, 'set', WG0, 'peer', k2.publicKey, 'endpoint', '[fd00:aa::2]:2');
    await ping(1, '-W', '1', '-c', '1', '192.168.241.2');
    await ip(1, 'addr', 'add', 'fd00:aa::10/96', 'dev', 'veth1');
    await ip(1, 'addr', 'del', 'fd00:aa::1/96', 'dev', 'veth1');
    await ping(1, '-W', '1', '-c', '1', '192.168.241.2');
  });
  check('setup: reply-to-sender addresses (ns1 has two of each family)', async () => {
    await ip(1, 'link', 'set', 'veth1', 'down');
    await ip(2, 'link', 'set', 'veth2', 'down');
    await ip(1, 'addr', 'flush', 'dev', 'veth1');
    await ip(2, 'addr', 'flush', 'dev', 'veth2');
    for (const a of ['10.0.0.1/24', '10.0.0.2/24', 'fd00:aa::1/96', 'fd00:aa::2/96']) await ip(1, 'addr', 'add', a, 'dev', 'veth1');
    await ip(2, 'addr', 'add', '10.0.0.3/24', 'dev', 'veth2');
    await ip(2, 'addr', 'add', 'fd00:aa::3/96', 'dev', 'veth2');
    await vethsUp([[1, 'veth1'], [2, 'veth2']]);
  });
  for (const endpoint of ['10.0.0.1:1', '[fd00:aa::1]:1', '10.0.0.2:1', '[fd00:aa::2]:1']) {
    check(`reply to sender: ns1 answers from the address ns2 reached (${endpoint})`, async () => {
      await wg(2, WG0, 'set', WG0, 'peer', k1.publicKey, 'endpoint', endpoint);
      await ping(2, '-W', '1', '-c', '1', '192.168.241.1');
      assert.equal(await endpoints(2), `${k1.publicKey}\t${endpoint}`);
    });
  }
  // The original puts 10.50.0.1/24 on a dummy interface; there is no dummy module here, so on lo.
  check('reply to sender: the address reached is on another interface than the route back (10.50.0.1:1)', async () => {
    await ip(1, 'addr', 'add', '10.50.0.1/24', 'dev', 'lo');
    await ip(2, 'route', 'add', '10.50.0.0/24', 'dev', 'veth2');
    await wg(2, WG0, 'set', WG0, 'peer', k1.publicKey, 'endpoint', '10.50.0.1:1');
    await ping(2, '-W', '1', '-c', '1', '192.168.241.1');
    assert.equal(await endpoints(2), `${k1.publicKey}\t10.50.0.1:1`);
  });
  check('setup: flush, veth3/veth4 as a second path', async () => {
    await ip(1, 'addr', 'del', '10.50.0.1/24', 'dev', 'lo');
    await ip(1, 'addr', 'flush', 'dev', 'veth1');
    await ip(2, 'addr', 'flush', 'dev', 'veth2');
    await ip(1, 'route', 'flush', 'dev', 'veth1');
    await ip(2, 'route', 'flush', 'dev', 'veth2');
    await ip(1, 'link', 'add', 'veth3', 'type', 'veth', 'peer', 'name', 'veth4');
    await ip(1, 'link', 'set', 'veth4', 'netns', world.name(2));
    await ip(1, 'addr', 'add', '10.0.0.1/24', 'dev', 'veth1');
    await ip(2, 'addr', 'add', '10.0.0.2/24', 'dev', 'veth2');
    await ip(1, 'addr', 'add', '10.0.0.3/24', 'dev', 'veth3');
    await vethsUp([[1, 'veth1'], [2, 'veth2'], [1, 'veth3'], [2, 'veth4']]);
    await ip(1, 'route', 'flush', 'dev', 'veth1');
    await ip(1, 'route', 'flush', 'dev', 'veth3');
    await ip(1, 'route', 'add', '10.0.0.0/24', 'dev', 'veth1', 'src', '10.0.0.1', 'metric', '2');
  });
  check('route precedence: sending from 10.0.0.1 over veth1', async () => {
    await wg(1, WG0, 'set', WG0, 'peer', k2.publicKey, 'endpoint', '10.0.0.2:2');
    await ping(1, '-W', '1', '-c', '1', '192.168.241.2');
    assert.equal(await endpoints(2), `${k1.publicKey}\t10.0.0.1:1`);
  });
  check('route precedence: a preferred route with src 10.0.0.3 takes over', async () => {
    await ip(1, 'route', 'add', '10.0.0.0/24', 'dev', 'veth3', 'src', '10.0.0.3', 'metric', '1');
    await world.sysctl(1, 'net/ipv4/conf/veth1/rp_filter', '0');
    await world.sysctl(2, 'net/ipv4/conf/veth4/rp_filter', '0');
    await world.sysctl(1, 'net/ipv4/conf/all/rp_filter', '0');
    await world.sysctl(2, 'net/ipv4/conf/all/rp_filter', '0');
    await ping(1, '-W', '1', '-c', '1', '192.168.241.2');
    assert.equal(await endpoints(2), `${k1.publicKey}\t10.0.0.3:1`);
  });
  check('teardown: veth1, veth3, wg0 in ns1 and ns2', async () => {
    await ip(1, 'link', 'del', 'veth1');
    await ip(1, 'link', 'del', 'veth3');
    await world.delWg(1, WG0);
    await world.delWg(2, WG0);
  });

  // ── Netlink/IPC (for us: the UAPI) with requests and replies that need splitting.
  section = 'netlink/IPC';
  const setconf = async (config: string[]) => {
    const path = world.keyFile('setconf', `${config.join('\n')}\n`);
    await wg(0, WG0, 'setconf', WG0, path);
  };
  /** A new wg0 in ns0 for fn, deleted again however fn ends (so one failure does not spill over). */
  const withFreshWg = async (fn: () => Promise<void>) => {
    await world.addWg(0, WG0);
    try {
      await fn();
    } finally {
      await world.delWg(0, WG0);
    }
  };
  check('65280 × (an IPv4 /16 and an IPv6 /128) on one peer: all listed', async () => {
    await withFreshWg(async () => {
      const config = ['[Interface]', `PrivateKey=${wgKeyPair().privateKey}`, '[Peer]', `PublicKey=${wgKeyPair().publicKey}`];
      for (let a = 1; a <= 255; a++) for (let b = 0; b <= 255; b++) config.push(`AllowedIPs=${a}.${b}.0.0/16,${a}::${b}/128`);
      await setconf(config);
      const words = (await wg(0, WG0, 'show', WG0, 'allowed-ips')).split(/\s+/).filter(Boolean);
      assert.equal(words.length, 255 * 256 * 2 + 1);
    });
  });
  check('40 peers × 52 prefixes: each listed with its own', async () => {
    await withFreshWg(async () => {
      const config = ['[Interface]', `PrivateKey=${wgKeyPair().privateKey}`];
      for (let a = 1; a <= 40; a++) {
        config.push('[Peer]', `PublicKey=${wgKeyPair().publicKey}`);
        for (let b = 1; b <= 52; b++) config.push(`AllowedIPs=${a}.${b}.0.0/16`);
      }
      await setconf(config);
      const lines = (await wg(0, WG0, 'show', WG0, 'allowed-ips')).trimEnd().split('\n');
      assert.equal(lines.length, 40);
      for (const line of lines) assert.equal(line.split(/\s+/).filter(Boolean).length, 53);
    });
  });
  check('30 peers, the last with prefixes: showconf works', async () => {
    await withFreshWg(async () => {
      const config: string[] = [];
      for (let i = 1; i <= 29; i++) config.push('[Peer]', `PublicKey=${wgKeyPair().publicKey}`);
      config.push('[Peer]', `PublicKey=${wgKeyPair().publicKey}`, 'AllowedIPs=255.2.3.4/32,abcd::255/128');
      await setconf(config);
      await wg(0, WG0, 'showconf', WG0);
    });
  });
  check('197 IPv6 prefixes given on the command line: all listed', async () => {
    await withFreshWg(async () => {
      const allowed = Array.from({ length: 197 }, (_, i) => `abcd::${i + 1}`).join(',');
      await wg(0, WG0, 'set', WG0, 'peer', k1.publicKey);
      await wg(0, WG0, 'set', WG0, 'peer', k2.publicKey, 'allowed-ips', allowed);
      // The kernel lists peers in the order they were added; wireguard-go in its map's random
      // order. What the original checks through split replies is each peer's list, so by key.
      const lines = (await wg(0, WG0, 'show', WG0, 'allowed-ips')).trimEnd().split('\n');
      assert.equal(lines.length, 2);
      const byKey = new Map(lines.map((line) => [line.split(/\s+/)[0], line.split(/\s+/).slice(1)]));
      assert.deepEqual(byKey.get(k1.publicKey), ['(none)']);
      assert.equal(byKey.get(k2.publicKey)?.length, 197);
    });
  });
  check('`wg show` of an interface that does not exist fails', async () => {
    assert.notEqual((await world.wg(0, undefined, ['show', 'doesnotexist'])).code, 0);
  });
  check('keys: set, shown, removed with /dev/null, own public key never a peer, "/" clamped to "+"', async () => {
    await world.addWg(0, WG0);
    await wg(0, WG0, 'set', WG0, 'private-key', key('k1', k1.privateKey), 'peer', k2.publicKey, 'preshared-key', key('psk', psk));
    assert.equal((await wg(0, WG0, 'show', WG0, 'private-key')).trimEnd(), k1.privateKey);
    assert.equal((await wg(0, WG0, 'show', WG0, 'preshared-keys')).trimEnd(), `${k2.publicKey}\t${psk}`);
    await wg(0, WG0, 'set', WG0, 'private-key', '/dev/null', 'peer', k2.publicKey, 'preshared-key', '/dev/null');
    assert.equal((await wg(0, WG0, 'show', WG0, 'private-key')).trimEnd(), '(none)');
    assert.equal((await wg(0, WG0, 'show', WG0, 'preshared-keys')).trimEnd(), `${k2.publicKey}\t(none)`);
    await wg(0, WG0, 'set', WG0, 'peer', k2.publicKey);
    await wg(0, WG0, 'set', WG0, 'private-key', key('k2', k2.privateKey));
    assert.equal((await wg(0, WG0, 'show', WG0, 'public-key')).trimEnd(), k2.publicKey);
    assert.equal((await wg(0, WG0, 'show', WG0, 'peers')).trim(), '');
    await wg(0, WG0, 'set', WG0, 'peer', k2.publicKey);
    assert.equal((await wg(0, WG0, 'show', WG0, 'peers')).trim(), '');
    await wg(0, WG0, 'set', WG0, 'private-key', key('k1', k1.privateKey));
    await wg(0, WG0, 'set', WG0, 'peer', k2.publicKey);
    assert.equal((await wg(0, WG0, 'show', WG0, 'peers')).trimEnd(), k2.publicKey);
    await wg(0, WG0, 'set', WG0, 'private-key', key('k1slash', `/${k1.privateKey.slice(1)}`));
    assert.equal((await wg(0, WG0, 'show', WG0, 'private-key')).trimEnd(), `+${k1.privateKey.slice(1)}`);
  });
  check('allowed-ips: overlapping sets replaced, then removed with the peer', async () => {
    await wg(0, WG0, 'set', WG0, 'peer', k2.publicKey, 'allowed-ips', '0.0.0.0/0,10.0.0.0/8,100.0.0.0/10,172.16.0.0/12,192.168.0.0/16');
    await wg(0, WG0, 'set', WG0, 'peer', k2.publicKey, 'allowed-ips', '0.0.0.0/0');
    await wg(0, WG0, 'set', WG0, 'peer', k2.publicKey, 'allowed-ips', '::/0,1700::/111,5000::/4,e000::/37,9000::/75');
    await wg(0, WG0, 'set', WG0, 'peer', k2.publicKey, 'allowed-ips', '::/0');
    await wg(0, WG0, 'set', WG0, 'peer', k2.publicKey, 'remove');
  });
  check('low-order public keys: accepted as peers, but no handshake is ever sent to them', async () => {
    const lowOrder = [
      'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      'AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      '4Ot6fDtBuK4WVuP68Z/EatoJjeucMrH9hmIFFl9JuAA=',
      'X5yVvKNQjCSx0LFVnIPvWwREXMRYHI6G2CJO3dCfEVc=',
      '7P///////////////////////////////////////38=',
      '7f///////////////////////////////////////38=',
      '7v///////////////////////////////////////38=',
    ];
    for (const point of lowOrder) await wg(0, WG0, 'set', WG0, 'peer', point, 'persistent-keepalive', '1', 'endpoint', '127.0.0.1:1111');
    assert.notEqual((await wg(0, WG0, 'show', WG0, 'peers')).trim(), '');
    const listener = world.n(0, 'timeout', ['2', 'socat', '-u', 'UDP-RECV:1111', 'STDOUT']);
    await until('socat listens on udp 1111 in ns0', () => listening(0, 'u', 1111));
    await ip(0, 'link', 'set', WG0, 'up');
    assert.equal((await listener).stdout, '');
    await world.delWg(0, WG0);
  });
  return checks;
}
