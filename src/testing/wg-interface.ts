// Starts one WireGuard interface the way wg-quick does for a userspace implementation: the
// daemon (`IMPL IFNAME`, which returns once the TUN and the UAPI socket exist) run inside a
// namespace, then `wg setconf` with a configuration file, then addresses and link up.
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Namespace } from './netns.js';
import type { Implementation } from './tunnel-pair.js';

export interface InterfaceSetup {
  /** wg-quick style configuration lines ([Interface], [Peer]...), without addresses. */
  conf: string[];
  /** Prefixes for `ip addr add` (IPv6 ones without duplicate address detection). */
  addresses?: string[];
  mtu?: number;
}

/** Starts impl for ifname in ns, configures it and brings it up (addresses only when given). */
export async function startInterface(ns: Namespace, impl: Implementation, ifname: string, setup: InterfaceSetup): Promise<void> {
  const [cmd, ...args] = impl.command;
  await ns.exec(cmd, [...args, ifname]);
  const confPath = join(tmpdir(), `${ifname}.conf`);
  writeFileSync(confPath, setup.conf.join('\n') + '\n', { mode: 0o600 });
  try {
    await ns.exec('wg', ['setconf', ifname, confPath]);
  } finally {
    rmSync(confPath, { force: true });
  }
  for (const address of setup.addresses ?? []) {
    await ns.exec('ip', ['addr', 'add', address, 'dev', ifname, ...(address.includes(':') ? ['nodad'] : [])]);
  }
  if (setup.mtu !== undefined) await ns.exec('ip', ['link', 'set', ifname, 'mtu', String(setup.mtu)]);
  await ns.exec('ip', ['link', 'set', ifname, 'up']);
}
