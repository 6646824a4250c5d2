// Which of a route's next hops leave through the viaguard interface, and which address on that
// link a hop stands for: its gateway, or (an on-link route) the destination itself. The peer
// that owns that address carries the packet in route mode; the `route` source check and
// `viaguard routes` both reason with it.
import type { IpAddress } from '../net/ip.js';
import type { NextHop, Route } from '../netlink/route.js';

/** The route's next hops through interface `index` (a single-path route is one hop). */
export function hopsThrough(route: Route, index: number): NextHop[] {
  const hops: NextHop[] = route.multipath ?? [{ gateway: route.gateway, index: route.index }];
  return hops.filter((hop) => hop.index === index);
}

/** The address the kernel resolves with ARP/NDP for this hop towards destination. */
export function linkAddress(hop: NextHop, destination: IpAddress): IpAddress {
  return hop.gateway ?? destination;
}
