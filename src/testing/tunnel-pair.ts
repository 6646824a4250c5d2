// Two namespaces joined by a veth pair, each running a WireGuard implementation with the
// wireguard-go command-line contract (`IMPL IFNAME` daemonizes once the TUN and the UAPI socket
// exist; viaguardd keeps it), configured with the real `wg` and `ip`. Used by the privileged
// tests, the demo and bench:tunnel.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Namespace, connect, uniqueSuffix } from './netns.js';
import { requireTools } from './require-tools.js';
import { startInterface } from './wg-interface.js';

export interface Implementation {
  label: string;
  /** argv prefix; the interface name is appended. */
  command: string[];
}

export const wireguardGo: Implementation = { label: 'wireguard-go', command: ['wireguard-go'] };

/** This package's daemon, run by the same node that runs the caller. */
export const VIAGUARDD_PATH = fileURLToPath(new URL('../cli/viaguardd.js', import.meta.url));
/** This package's command line (wg's subcommands and viaguard's own). */
export const VIAGUARD_PATH = fileURLToPath(new URL('../cli/viaguard.js', import.meta.url));
export const viaguardd: Implementation = { label: 'viaguardd', command: [process.execPath, VIAGUARDD_PATH] };

export interface TunnelPairOptions {
  /** Keeps the tunnel address plans of concurrent pairs apart (1..250). */
  index?: number;
  /** The family of the outer (UDP) addresses; default 4. */
  outer?: 4 | 6;
  /** Configure the left end with the right's endpoint; false: the left learns it from the right's first packet. */
  leftKnowsEndpoint?: boolean;
}

/**
 * A fresh key pair in wg's base64. Encoded by the generation itself (DER; the raw key is the last
 * 32 bytes): exporting the KeyObjects afterwards deadlocks Node 20 now and then (see
 * src/crypto/js-crypto.ts), which hung a test generating 5,000 keys.
 */
export function wgKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
    publicKeyEncoding: { type: 'spki', format: 'der' },
  });
  return { privateKey: privateKey.subarray(-32).toString('base64'), publicKey: publicKey.subarray(-32).toString('base64') };
}

export interface TunnelEnd {
  ns: Namespace;
  ifname: string;
  tunnel4: string;
  tunnel6: string;
  impl: Implementation;
}

export interface TunnelPair {
  left: TunnelEnd;
  right: TunnelEnd;
  destroy(): Promise<void>;
}

/** Builds left <-> right, both up with addresses; neither has sent a packet yet. */
export async function createTunnelPair(leftImpl: Implementation, rightImpl: Implementation, options: TunnelPairOptions = {}): Promise<TunnelPair> {
  const { index = 1, outer = 4, leftKnowsEndpoint = true } = options;
  requireTools('ip', 'wg', ...[leftImpl, rightImpl].map((impl) => impl.command[0]).filter((cmd) => cmd !== process.execPath));
  const outerAddress = (end: number) => (outer === 4 ? `192.0.2.${end + 1}:${51820 + end}` : `[2001:db8::${end + 1}]:${51820 + end}`);
  const left = await Namespace.create('vgl');
  const right = await Namespace.create('vgr');
  const destroy = async () => {
    await left.destroy();
    await right.destroy();
  };
  try {
    await connect(left, right, { a4: `192.0.2.1`, b4: `192.0.2.2`, a6: `2001:db8::1`, b6: `2001:db8::2` });
    const keys = [wgKeyPair(), wgKeyPair()];
    const suffix = uniqueSuffix();
    const ends: TunnelEnd[] = [
      { ns: left, ifname: `vgl${suffix}`, tunnel4: `10.${index}.0.1`, tunnel6: `fd00:${index}::1`, impl: leftImpl },
      { ns: right, ifname: `vgr${suffix}`, tunnel4: `10.${index}.0.2`, tunnel6: `fd00:${index}::2`, impl: rightImpl },
    ];
    for (const [i, end] of ends.entries()) {
      const other = ends[1 - i];
      const conf = [
        '[Interface]',
        `PrivateKey = ${keys[i].privateKey}`,
        `ListenPort = ${51820 + i}`,
        '[Peer]',
        `PublicKey = ${keys[1 - i].publicKey}`,
        `AllowedIPs = ${other.tunnel4}/32, ${other.tunnel6}/128`,
        ...(i === 0 && !leftKnowsEndpoint ? [] : [`Endpoint = ${outerAddress(1 - i)}`]),
      ];
      await startInterface(end.ns, end.impl, end.ifname, { conf, addresses: [`${end.tunnel4}/24`, `${end.tunnel6}/64`] });
    }
    return { left: ends[0], right: ends[1], destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

/** The pid of the daemon serving end's interface (its command line names the interface). */
export async function daemonPid(end: TunnelEnd): Promise<number> {
  const pids = await end.ns.exec('ip', ['netns', 'pids', end.ns.name]).catch(() => '');
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone since the listing (the listing's own `ip`, among others)
    }
    if (argv.includes(end.ifname)) return Number(pid);
  }
  throw new Error(`no ${end.impl.label} process for ${end.ifname} in ${end.ns.name}`);
}

/** Resident memory of a process, in bytes. */
export function residentBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}
