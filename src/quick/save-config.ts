// SaveConfig = true: on `down`, the running interface is written back to its config file, as
// wg-quick's save_config does: the device as the daemon reports it (`wg showconf`), the addresses
// the interface holds, the MTU it runs with (when the config sets one), and the config's own
// Table, DNS, hooks and SaveConfig. The file is replaced atomically and is readable by root only.
import { writeFileAtomically } from '../atomic-file.js';
import { formatWgConfig } from '../config/wg-config-format.js';
import type { InterfaceConfig, WgConfig } from '../config/wg-config.js';
import { formatPrefix, parsePrefix, type IpPrefix } from '../net/ip.js';
import type { Address } from '../netlink/address.js';
import { IFA_F } from '../netlink/constants.js';
import { QuickError } from './errors.js';
import { prefixContains } from './plan.js';

const IPV6_LINK_LOCAL = parsePrefix('fe80::/10')!;

/**
 * The interface's addresses worth saving: configured ones (PERMANENT), minus the IPv6
 * link-local address the kernel gives every interface by itself, unless the config names it.
 * (wg-quick saves whatever `ip -brief address` lists, the kernel's link-local address included.)
 */
export function addressesToSave(live: readonly Address[], configured: readonly IpPrefix[]): IpPrefix[] {
  const named = new Set(configured.map(formatPrefix));
  return live
    .filter((a) => a.flags & IFA_F.PERMANENT)
    .map((a) => a.address)
    .filter((address) => !prefixContains(IPV6_LINK_LOCAL, address) || named.has(formatPrefix(address)));
}

export interface LiveInterface {
  /** The addresses configured on the interface (not those the kernel adds by itself). */
  addresses: IpPrefix[];
  mtu: number;
}

/** The config to save: `running` is the daemon's view (configFromStatus), `file` the config read at down. */
export function configToSave(running: WgConfig, file: InterfaceConfig, live: LiveInterface): WgConfig {
  return {
    interface: {
      ...running.interface,
      addresses: live.addresses,
      dns: file.dns,
      dnsSearch: file.dnsSearch,
      mtu: file.mtu === undefined ? undefined : live.mtu,
      table: file.table,
      saveConfig: true,
      preUp: file.preUp,
      postUp: file.postUp,
      preDown: file.preDown,
      postDown: file.postDown,
      // wireguard-go does not report viaguard's keys; keep what the file said then.
      peerSelection: running.interface.peerSelection ?? file.peerSelection,
      sourceCheck: running.interface.sourceCheck ?? file.sourceCheck,
    },
    peers: running.peers,
  };
}

/** Replaces PATH atomically (atomic-file.ts), readable by root only. */
export async function writeConfigFile(path: string, config: WgConfig): Promise<void> {
  try {
    await writeFileAtomically(path, formatWgConfig(config), 0o600);
  } catch (error) {
    throw new QuickError(`could not save the configuration to \`${path}': ${(error as Error).message}`, { cause: error });
  }
}
