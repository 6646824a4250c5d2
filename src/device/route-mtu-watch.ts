// The routes through the interface that carry an MTU (`ip route add 10.0.0.0/24 dev wg0 mtu 1299`,
// RTAX_MTU), kept in the data plane's prefix → MTU table so that data packets are padded within
// the MTU of the route they took, as the kernel pads within dst_mtu. A dump at start (and after a
// monitor overflow) plus route notifications, in the namespace the interface lives in (home).
// Policy rules are not modelled: the data plane takes the longest prefix over every table.
import type { Logger } from '../log.js';
import { formatPrefix } from '../net/ip.js';
import type { RtnlClient } from '../netlink/client.js';
import type { RtnlMonitor } from '../netlink/monitor.js';
import type { Route } from '../netlink/route.js';
import type { RouteMtu } from '../native/dataplane.js';

export interface RouteMtuTarget {
  setRouteMtus(routes: RouteMtu[]): void;
}

function throughInterface(route: Route, ifindex: number): boolean {
  return route.index === ifindex || (route.multipath ?? []).some((hop) => hop.index === ifindex);
}

/** What tells two kernel routes apart (fib_table_insert's key, plus the table). */
function routeKey(route: Route): string {
  return `${route.table} ${formatPrefix(route.destination)} ${route.tos} ${route.metric ?? 0}`;
}

export class RouteMtuWatch {
  private readonly routes = new Map<string, RouteMtu>();
  private resync: Promise<void> | undefined;
  private resyncAgain = false;
  private closed = false;

  /** monitor: subscribed to ipv4-route and ipv6-route in the interface's namespace. */
  constructor(
    private readonly target: RouteMtuTarget,
    private readonly client: RtnlClient,
    monitor: RtnlMonitor,
    private readonly ifindex: number,
    private readonly log: Logger,
  ) {
    monitor.on('change', (event) => {
      if (event.kind === 'route') this.apply(event.action, event.route);
    });
    monitor.on('overflow', () => void this.synchronise());
  }

  /** Reads every route again and installs the result; resolves once installed. */
  synchronise(): Promise<void> {
    if (this.resync) {
      this.resyncAgain = true;
      return this.resync;
    }
    this.resync = (async () => {
      do {
        this.resyncAgain = false;
        try {
          const routes = await this.client.listRoutes({ dev: this.ifindex });
          if (this.resyncAgain) continue;
          this.routes.clear();
          for (const route of routes) this.apply('new', route, false);
          this.install();
        } catch (error) {
          if (!this.closed) this.log.error(`route MTUs: ${(error as Error).message}`);
        }
      } while (this.resyncAgain && !this.closed);
      this.resync = undefined;
    })();
    return this.resync;
  }

  close(): void {
    this.closed = true;
  }

  private apply(action: 'new' | 'delete', route: Route, install = true): void {
    if (this.closed) return;
    // A notification during a dump may be older or newer than what the dump saw: dump again.
    if (install && this.resync) {
      this.resyncAgain = true;
      return;
    }
    const key = routeKey(route);
    const had = this.routes.delete(key);
    const wanted = action === 'new' && route.type === 'unicast' && route.mtu !== undefined && route.mtu > 0 &&
      throughInterface(route, this.ifindex);
    if (wanted) this.routes.set(key, { prefix: route.destination, mtu: route.mtu as number });
    if (install && (had || wanted)) this.install();
  }

  private install(): void {
    if (!this.closed) this.target.setRouteMtus([...this.routes.values()]);
  }
}
