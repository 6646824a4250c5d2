// The nftables rules of a full tunnel, as wg-quick's add_default writes them (wireguard-tools
// src/wg-quick/linux.bash), and the commands that remove them again (remove_firewall). One table
// per interface and family, named wg-quick-IFACE like wg-quick's own: the ruleset is the one
// wg-quick would leave, so either tool's `down` cleans up after the other's `up`.
//   preraw (prerouting, priority raw): packets for the tunnel's own addresses arriving on
//     another interface from a non-local source are dropped (anti-spoofing).
//   postmangle (postrouting, priority mangle): the daemon's UDP packets carry its fwmark; the
//     mark is saved in their conntrack entry.
//   premangle (prerouting, priority mangle): replies of those flows get the mark back, so the
//     reverse-path check (with src_valid_mark) looks them up in main, as the outgoing packets
//     were routed, and strict rp_filter lets them in.
// Pure: the text is computed from plain data so it can be tested without nft or a kernel.
import { formatIp, type IpAddress, type IpFamily } from '../net/ip.js';

export const FIREWALL_TABLE_PREFIX = 'wg-quick-';

/**
 * nft identifiers are letters, digits and `_ . - /` (nftables src/scanner.l, quoting does not
 * help), so interface names holding `=` or `+`, legal for wg-quick, cannot name a table.
 */
const NFT_IDENTIFIER_TAIL = /^[A-Za-z0-9_.-]+$/;

/** The table's name, or undefined when nft cannot have a table named after this interface. */
export function firewallTableName(iface: string): string | undefined {
  return NFT_IDENTIFIER_TAIL.test(iface) ? `${FIREWALL_TABLE_PREFIX}${iface}` : undefined;
}

export function nftFamily(family: IpFamily): 'ip' | 'ip6' {
  return family === 4 ? 'ip' : 'ip6';
}

/**
 * The `nft -f` script installing one family's table: the interface's addresses of that family
 * are protected, `fwmark` is the daemon's. A table left over under this name (by a crashed
 * wg-quick or viaguard) is replaced in the same transaction rather than appended to.
 */
export function firewallScript(table: string, iface: string, family: IpFamily, addresses: readonly IpAddress[], fwmark: number): string {
  const pf = nftFamily(family);
  const lines = [
    `add table ${pf} ${table}`,
    `delete table ${pf} ${table}`,
    `add table ${pf} ${table}`,
    `add chain ${pf} ${table} preraw { type filter hook prerouting priority -300; }`,
    `add chain ${pf} ${table} premangle { type filter hook prerouting priority -150; }`,
    `add chain ${pf} ${table} postmangle { type filter hook postrouting priority -150; }`,
  ];
  for (const address of addresses) {
    if (address.family !== family) throw new RangeError(`${formatIp(address)} is not an IPv${family} address`);
    lines.push(`add rule ${pf} ${table} preraw iifname != "${iface}" ${pf} daddr ${formatIp(address)} fib saddr type != local drop`);
  }
  lines.push(`add rule ${pf} ${table} postmangle meta l4proto udp mark ${fwmark} ct mark set mark`);
  lines.push(`add rule ${pf} ${table} premangle meta l4proto udp meta mark set ct mark`);
  return `${lines.join('\n')}\n`;
}

/**
 * The tables of `nft list tables` output (lines `table FAMILY NAME`) named after the interface,
 * in any family, as "FAMILY NAME".
 */
export function firewallTablesIn(listing: string, iface: string): string[] {
  const table = firewallTableName(iface);
  if (!table) return [];
  return listing
    .split('\n')
    .map((line) => /^table (\S+) (\S+)$/.exec(line.trim()))
    .filter((match): match is RegExpExecArray => match !== null && match[2] === table)
    .map((match) => `${match[1]} ${match[2]}`);
}

/** The `nft -f` script deleting tables given as "FAMILY NAME". */
export function deleteTablesScript(tables: readonly string[]): string {
  return tables.map((table) => `delete table ${table}\n`).join('');
}
