// The MTUs wg-quick's set_mtu_up reads from the kernel: of the route to each peer's endpoint
// (`ip route get`, its own mtu metric or else its device's MTU), and of the default route.
import type { IpAddress } from '../net/ip.js';
import { RT_TABLE } from '../netlink/constants.js';
import type { RtnlClient } from '../netlink/client.js';
import { NetlinkError } from '../netlink/message.js';
import type { Route } from '../netlink/route.js';

async function routeMtu(nl: RtnlClient, route: Route): Promise<number | undefined> {
  if (route.mtu) return route.mtu;
  const index = route.index ?? route.multipath?.[0]?.index;
  return index === undefined ? undefined : (await nl.getLink(index)).mtu;
}

/** One MTU per endpoint that has a route; unreachable endpoints are left out. */
export async function endpointPathMtus(nl: RtnlClient, endpoints: readonly IpAddress[]): Promise<number[]> {
  const mtus: number[] = [];
  for (const endpoint of endpoints) {
    // As wg-quick's `ip route get ... || true`: an endpoint the kernel refuses to route is skipped.
    const route = await nl.getRoute(endpoint).catch((error: unknown) => {
      if (error instanceof NetlinkError) return undefined;
      throw error;
    });
    const mtu = route && (await routeMtu(nl, route));
    if (mtu) mtus.push(mtu);
  }
  return mtus;
}

/** The MTU of main's IPv4 default route (`ip route show default`), else of the IPv6 one. */
export async function defaultRouteMtu(nl: RtnlClient): Promise<number | undefined> {
  for (const family of [4, 6] as const) {
    const routes = await nl.listRoutes({ family, table: RT_TABLE.MAIN });
    const route = routes.find((r) => r.destination.cidr === 0 && r.type === 'unicast');
    const mtu = route && (await routeMtu(nl, route));
    if (mtu) return mtu;
  }
  return undefined;
}
