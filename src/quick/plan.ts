// The pure part of `viaguard up`/`down`: which routes and policy rules a config asks for, and
// the MTU, following wireguard-tools src/wg-quick/linux.bash (add_route, add_default, del_if,
// set_mtu_up). Everything here is computed from plain data so it can be tested without a kernel.
import { formatPrefix, maskPrefix, type IpFamily, type IpPrefix } from '../net/ip.js';
import { RT_TABLE } from '../netlink/constants.js';
import type { Rule, RuleSpec } from '../netlink/rule.js';
import type { TableSetting } from './table.js';

export interface PlannedRoute {
  destination: IpPrefix;
  table: number;
  /**
   * Table auto: skip the route when one through the interface already covers it in main
   * (wg-quick's `ip route show dev IF match PREFIX`), e.g. the prefix route of an Address.
   */
  unlessCovered: boolean;
}

export interface RoutePlan {
  routes: PlannedRoute[];
  /** Default routes (/0) under Table auto: a full tunnel through its own table and fwmark. */
  fullTunnel: IpPrefix[];
}

/** wg-quick's first candidate table (and fwmark) for a full tunnel. */
export const FULL_TUNNEL_FIRST_TABLE = 51820;

/**
 * The routes for the device's AllowedIPs: masked, each prefix once, most specific first (wg-quick
 * sorts `wg show allowed-ips` by prefix length, descending).
 */
export function planRoutes(allowedIps: Iterable<IpPrefix>, table: TableSetting): RoutePlan {
  const plan: RoutePlan = { routes: [], fullTunnel: [] };
  if (table.kind === 'off') return plan;
  const unique = new Map<string, IpPrefix>();
  for (const prefix of allowedIps) {
    const masked = maskPrefix(prefix);
    unique.set(formatPrefix(masked), masked);
  }
  const sorted = [...unique.values()].sort((a, b) => b.cidr - a.cidr);
  for (const destination of sorted) {
    if (table.kind === 'table') plan.routes.push({ destination, table: table.id, unlessCovered: false });
    else if (destination.cidr === 0) plan.fullTunnel.push(destination);
    else plan.routes.push({ destination, table: RT_TABLE.MAIN, unlessCovered: true });
  }
  return plan;
}

/** Whether outer contains inner (same family, outer no longer, same leading bits). */
export function prefixContains(outer: IpPrefix, inner: IpPrefix): boolean {
  if (outer.family !== inner.family || outer.cidr > inner.cidr) return false;
  const a = maskPrefix(outer);
  const b = maskPrefix({ ...inner, cidr: outer.cidr });
  return a.bytes.every((byte, i) => byte === b.bytes[i]);
}

/**
 * The table (and fwmark) of a full tunnel: the device's fwmark when it has one, else the first
 * table from 51820 up that holds no route of either family.
 */
export async function fullTunnelTable(fwmark: number | undefined, tableInUse: (table: number) => Promise<boolean>): Promise<number> {
  if (fwmark) return fwmark;
  let table = FULL_TUNNEL_FIRST_TABLE;
  while (await tableInUse(table)) table++;
  return table;
}

/**
 * `ip rule add not fwmark T table T` then `ip rule add table main suppress_prefixlength 0`:
 * unmarked traffic uses the tunnel's table, except what main routes more specifically than a
 * default route; the daemon's own packets carry the mark and so take main. Added without a
 * priority, the second rule lands just before the first.
 */
export function fullTunnelRules(family: IpFamily, table: number): RuleSpec[] {
  return [
    { family, invert: true, fwmark: table, table },
    { family, table: RT_TABLE.MAIN, suppressPrefixLength: 0 },
  ];
}

/** The `ip rule` command line equivalent to adding or deleting a rule, for progress lines. */
export function ruleCommand(verb: 'add' | 'delete', rule: RuleSpec): string {
  const parts = [`ip -${rule.family} rule ${verb}`];
  if (rule.priority !== undefined) parts.push(`priority ${rule.priority}`);
  if (rule.fwmark !== undefined) parts.push(`${rule.invert ? 'not ' : ''}fwmark ${rule.fwmark}`);
  if (rule.table !== undefined) parts.push(`table ${rule.table === RT_TABLE.MAIN ? 'main' : rule.table}`);
  if (rule.suppressPrefixLength !== undefined) parts.push(`suppress_prefixlength ${rule.suppressPrefixLength}`);
  return parts.join(' ');
}

/** A decoded rule as a selector that deletes exactly it, priority included. */
export function ruleSelector(rule: Rule): RuleSpec {
  return {
    family: rule.family,
    priority: rule.priority,
    table: rule.table,
    invert: rule.invert,
    ...(rule.fwmark === undefined ? {} : { fwmark: rule.fwmark }),
    ...(rule.suppressPrefixLength === undefined ? {} : { suppressPrefixLength: rule.suppressPrefixLength }),
  };
}

/**
 * The rules `down` removes in one family: every rule looking up the tunnel's table, and, when
 * there was one, a single `table main suppress_prefixlength 0` rule. wg-quick deletes every such
 * rule; leaving the others in place keeps a second full-tunnel interface working.
 */
export function fullTunnelRulesToRemove(rules: readonly Rule[], family: IpFamily, table: number): Rule[] {
  const own = rules.filter((rule) => rule.family === family && rule.action === 'table' && rule.table === table);
  if (own.length === 0) return [];
  const suppress = rules.find(
    (rule) => rule.family === family && rule.action === 'table' && rule.table === RT_TABLE.MAIN && rule.suppressPrefixLength === 0 && !rule.invert,
  );
  return suppress ? [...own, suppress] : own;
}

/** The tunnel's overhead wg-quick subtracts: 40 (IPv6) + 8 (UDP) + 32 (WireGuard). */
export const TUNNEL_OVERHEAD = 80;
const FALLBACK_PATH_MTU = 1500;

/**
 * The MTU when the config names none: the smallest MTU on the paths to the peers' endpoints,
 * else the default route's, else 1500; minus the tunnel's overhead. (wireguard-tools after
 * v1.0.20210914 takes the smallest; older releases took the largest, which overshoots a peer
 * behind a smaller path.)
 */
export function automaticMtu(endpointPathMtus: readonly number[], defaultRouteMtu?: number): number {
  const known = endpointPathMtus.filter((mtu) => mtu > 0);
  const path = known.length ? Math.min(...known) : defaultRouteMtu && defaultRouteMtu > 0 ? defaultRouteMtu : FALLBACK_PATH_MTU;
  return path - TUNNEL_OVERHEAD;
}
