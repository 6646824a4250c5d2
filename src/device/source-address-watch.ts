// The source address of a peer's packets follows the routes. The data plane answers a peer from
// the address the peer reached us at (sticky source). The kernel's WireGuard re-checks that
// cached source on every send (socket.c send4/send6): it is dropped when the kernel refuses it
// (no longer ours) or when the route to the peer now leaves by another interface than the one
// the peer's packets came in by — so a removed address is left at once and a new preferred
// route with another `src` takes over. Here the same check runs whenever an address, route or
// rule changes in the namespace of our UDP sockets (this process's): `ip route get ENDPOINT
// from LOCAL` for each remembered source. (A send the kernel refuses for its source is retried
// at once without it by the data plane itself.) Notifications are not decoded, only counted:
// one check per burst.
import type { Logger } from '../log.js';
import { parseIp } from '../net/ip.js';
import { RtnlClient } from '../netlink/client.js';
import { RTNLGRP } from '../netlink/constants.js';
import { openNetlinkSocket } from '../netlink/socket.js';
import type { LocalAddress } from '../native/dataplane.js';
import type { DeviceEngine } from './engine.js';

export interface SourceAddressWatch {
  close(): void;
}

export function watchSourceAddresses(device: DeviceEngine, log: Logger): SourceAddressWatch {
  const client = new RtnlClient();
  let running: Promise<void> | undefined;
  let again = false;

  // Whether the kernel would still send to seen's endpoint from its local address, out of the
  // interface the peer's packets arrived on.
  const stillRouted = async (seen: LocalAddress): Promise<boolean> => {
    const destination = parseIp(seen.address);
    const source = parseIp(seen.localAddress);
    if (!destination || !source) return true; // a scoped (link-local) endpoint: left to the data plane's send check
    try {
      const mark = device.fwmark;
      const route = await client.getRoute(destination, { source, ...(mark ? { mark } : {}) });
      return seen.localIfindex === 0 || route.index === undefined || route.index === seen.localIfindex;
    } catch {
      return false; // EINVAL (not our address any more), ENETUNREACH...
    }
  };

  const checkAll = async (): Promise<void> => {
    do {
      again = false;
      for (const seen of device.localAddresses()) {
        if (!(await stillRouted(seen))) device.forgetLocalAddress(seen);
      }
    } while (again);
  };
  const check = (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = checkAll()
      .catch((error: Error) => log.error(`source address check: ${error.message}`))
      .finally(() => (running = undefined));
    return running;
  };

  const groups = [RTNLGRP.IPV4_IFADDR, RTNLGRP.IPV6_IFADDR, RTNLGRP.IPV4_ROUTE, RTNLGRP.IPV6_ROUTE, RTNLGRP.IPV4_RULE, RTNLGRP.IPV6_RULE];
  const socket = openNetlinkSocket({ groups }, (error, datagrams, overflowed) => {
    if (error) log.error(`source address monitor: ${error.message}`);
    if (datagrams.length > 0 || overflowed) void check();
  });
  socket.unref();
  return {
    close: () => {
      socket.close();
      client.close();
    },
  };
}
