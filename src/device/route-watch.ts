// The routing side of a running device: answers the `route` source check's questions, clears
// its cached verdicts when routes, rules or ownership change (rtnetlink notifications and the
// device's own events), and in route mode keeps the kernel's neighbour entries in sync with
// ownership. No copy of the routing table is kept, and route notifications are only listened
// to once the source check has asked something: until then a million routes cost nothing here.
// All of it happens in the namespace the interface lives in (home), which may not be ours; when
// the interface moves, the daemon closes this watch and starts one in its new home.
import type { Logger } from '../log.js';
import { RtnlClient } from '../netlink/client.js';
import { RtnlMonitor } from '../netlink/monitor.js';
import type { DeviceHome } from './device-home.js';
import type { DeviceEngine, RoutingEvent } from './engine.js';
import type { DeviceEvent } from './events.js';
import { NeighbourSync } from './neighbour-sync.js';
import { SourceResolver } from './source-resolver.js';

export interface RouteWatch {
  /** Route mode: resolves once the kernel's neighbour entries match current ownership. */
  syncNeighbours(): Promise<void>;
  close(): void;
}

/** home and ifindex: where the interface is now (LinkWatch). */
export function watchRoutes(device: DeviceEngine, log: Logger, home: DeviceHome, ifindex: number): RouteWatch {
  const netnsPath = home.netnsPath;
  const client = new RtnlClient({ netnsPath });
  let monitor: RtnlMonitor | undefined;
  const watchRouteChanges = () => {
    monitor = new RtnlMonitor({ groups: ['ipv4-route', 'ipv6-route', 'ipv4-rule', 'ipv6-rule'], netnsPath }).unref();
    monitor.on('change', (event) => {
      // A neighbour or address change never alters where a route leads; routes and rules do.
      if (event.kind === 'route' || event.kind === 'rule') device.clearSourceVerdicts();
    });
    monitor.on('overflow', () => device.clearSourceVerdicts());
    monitor.on('error', (error) => log.error(`route monitor: ${error.message}`));
  };
  const resolver = new SourceResolver(device, client, ifindex, log);
  const neighbours = device.peerSelection === 'route' ? new NeighbourSync(device, client, ifindex, log) : undefined;

  const onRouting = (event: RoutingEvent) => {
    if (event.type === 'resolveSource') {
      if (!monitor) watchRouteChanges();
      resolver.ask(event);
    }
    else if (event.type === 'addressLearnt') void neighbours?.schedule();
  };
  const onDeviceEvent = (event: DeviceEvent) => {
    if (event.type !== 'peerAdded' && event.type !== 'peerRemoved' && event.type !== 'allowedIps') return;
    device.clearSourceVerdicts();
    void neighbours?.schedule();
  };
  device.on('routing', onRouting);
  device.on('event', onDeviceEvent);
  return {
    syncNeighbours: () => neighbours?.schedule() ?? Promise.resolve(),
    close: () => {
      device.off('routing', onRouting);
      device.off('event', onDeviceEvent);
      monitor?.close();
      client.close();
    },
  };
}
