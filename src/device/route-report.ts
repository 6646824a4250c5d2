// `viaguard routes`: every route through a viaguard interface, in every table, with the peer
// each next hop resolves to, or none and why. Pure: it takes the routes (netlink) and the
// device's UAPI status and reasons as the data plane does (route mode: the peer owning the
// gateway, by AllowedIPs or learnt; allowed-ips mode: the destination's AllowedIPs owner).
import { AllowedIps } from '../native/allowedips.js';
import { formatEndpoint } from '../config/endpoint.js';
import { formatIp, formatPrefix, type IpAddress } from '../net/ip.js';
import { RT_TABLE } from '../netlink/constants.js';
import type { Route } from '../netlink/route.js';
import type { DeviceSnapshot, PeerSnapshot } from '../uapi/status.js';
import { hopsThrough } from './next-hops.js';

export interface HopReport {
  gateway?: string;
  /** The peer's public key (base64) when the hop resolves to one. */
  peer?: string;
  /** How the owner was found: its AllowedIPs, or an address learnt from its packets. */
  by?: 'allowed-ips' | 'learnt';
  /** Why no packet can go this way (or why it goes per destination). */
  reason?: string;
}

export interface RouteReport {
  destination: string;
  source?: string;
  table: string;
  type: string;
  metric?: number;
  hops: HopReport[];
}

const TABLE_NAMES = new Map<number, string>([
  [RT_TABLE.MAIN, 'main'],
  [RT_TABLE.LOCAL, 'local'],
  [RT_TABLE.DEFAULT, 'default'],
]);

const keyText = (peer: PeerSnapshot) => Buffer.from(peer.publicKey).toString('base64');

class Owners {
  private readonly table = new AllowedIps();
  private readonly learnt = new Map<string, number>();

  constructor(readonly peers: PeerSnapshot[]) {
    peers.forEach((peer, i) => {
      peer.allowedIps.setPeerId(i + 1);
      this.table.insertMany(peer.allowedIps);
      for (const [key, value] of peer.extra) if (key === 'learnt_ip') this.learnt.set(value, i + 1);
    });
  }

  of(address: IpAddress): { peer: PeerSnapshot; by: 'allowed-ips' | 'learnt' } | undefined {
    const byAllowed = this.table.lookup(address);
    if (byAllowed) return { peer: this.peers[byAllowed - 1], by: 'allowed-ips' };
    const learnt = this.learnt.get(formatIp(address));
    return learnt ? { peer: this.peers[learnt - 1], by: 'learnt' } : undefined;
  }
}

function hopReport(owner: ReturnType<Owners['of']>, gateway: IpAddress | undefined, unowned: string): HopReport {
  const hop: HopReport = gateway ? { gateway: formatIp(gateway) } : {};
  if (!owner) return { ...hop, reason: unowned };
  hop.peer = keyText(owner.peer);
  hop.by = owner.by;
  if (!owner.peer.endpoint) hop.reason = 'the peer has no endpoint: packets are dropped until it has one';
  return hop;
}

export function reportRoutes(routes: Route[], ifindex: number, status: DeviceSnapshot): RouteReport[] {
  const owners = new Owners(status.peers);
  const routeMode = status.peerSelection === 'route';
  const out: RouteReport[] = [];
  for (const route of routes) {
    const hops = hopsThrough(route, ifindex);
    if (hops.length === 0) continue;
    const report: RouteReport = {
      destination: formatPrefix(route.destination),
      table: TABLE_NAMES.get(route.table) ?? String(route.table),
      type: route.type,
      hops: [],
    };
    if (route.source) report.source = formatPrefix(route.source);
    if (route.metric !== undefined) report.metric = route.metric;
    for (const hop of hops) {
      if (route.type !== 'unicast') {
        report.hops.push({ reason: `a ${route.type} route: the kernel delivers or drops it locally, no peer is involved` });
      } else if (!routeMode) {
        // A TUN device never sees the gateway: the destination's AllowedIPs owner carries it.
        const byDestination = hopReport(owners.of(route.destination), hop.gateway, 'no peer holds the destination in its AllowedIPs');
        if (hop.gateway && !byDestination.reason) {
          byDestination.reason = 'allowed-ips peer selection ignores the gateway: each destination goes to its AllowedIPs owner';
        }
        report.hops.push(byDestination);
      } else if (hop.gateway) {
        report.hops.push(hopReport(owners.of(hop.gateway), hop.gateway, `no peer owns the gateway ${formatIp(hop.gateway)} (in AllowedIPs or learnt): ARP/NDP for it goes unanswered`));
      } else {
        const cidr = route.destination.cidr;
        const single = cidr === (route.destination.family === 4 ? 32 : 128);
        report.hops.push(
          single
            ? hopReport(owners.of(route.destination), undefined, `no peer owns ${formatPrefix(route.destination)}: ARP/NDP for it goes unanswered`)
            : { reason: 'on-link: each destination goes to the peer owning that address (AllowedIPs or learnt)' },
        );
      }
    }
    out.push(report);
  }
  return out;
}

/** One line per next hop, as `ip route` prints routes. */
export function formatRouteReport(reports: RouteReport[], status: DeviceSnapshot): string[] {
  const endpoints = new Map(status.peers.map((p) => [keyText(p), p.endpoint ? formatEndpoint(p.endpoint) : undefined]));
  const lines: string[] = [];
  for (const r of reports) {
    const head = `${r.destination}${r.source ? ` from ${r.source}` : ''} table ${r.table}${r.type === 'unicast' ? '' : ` ${r.type}`}${r.metric !== undefined ? ` metric ${r.metric}` : ''}`;
    for (const hop of r.hops) {
      const via = hop.gateway ? ` via ${hop.gateway}` : '';
      const peer = hop.peer ? ` -> peer ${hop.peer} (${hop.by}${endpoints.get(hop.peer) ? `, endpoint ${endpoints.get(hop.peer)}` : ''})` : ' -> no peer';
      lines.push(`${head}${via}${peer}${hop.reason ? `: ${hop.reason}` : ''}`);
    }
  }
  return lines;
}
