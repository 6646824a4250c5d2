// `viaguard routes IFACE [--json]`: every route through the interface in every table, with the
// peer each next hop resolves to (or none and why), read over rtnetlink and the UAPI.
import { formatRouteReport, reportRoutes } from '../device/route-report.js';
import { RtnlClient } from '../netlink/client.js';
import type { CliIo } from './cli-io.js';
import { getDevice } from './device-access.js';
import { CliError } from './errors.js';

export const ROUTES_USAGE = 'routes <interface> [--json]';

export async function routesCommand(args: string[], io: CliIo): Promise<number> {
  const json = args.includes('--json');
  const rest = args.filter((a) => a !== '--json');
  if (rest.length !== 1 || rest[0].startsWith('-')) throw new CliError(`routes: expected one interface; usage: viaguard ${ROUTES_USAGE}`);
  const ifname = rest[0];
  const status = await getDevice(ifname, io.socketDir);
  const client = new RtnlClient();
  try {
    const ifindex = await client.linkIndex(ifname);
    const reports = reportRoutes(await client.listRoutes(), ifindex, status);
    if (json) io.write(`${JSON.stringify({ interface: ifname, peerSelection: status.peerSelection ?? 'allowed-ips', routes: reports }, null, 2)}\n`);
    else for (const line of formatRouteReport(reports, status)) io.write(`${line}\n`);
    return 0;
  } catch (error) {
    throw new CliError(`routes ${ifname}: ${(error as Error).message}`, { cause: error });
  } finally {
    client.close();
  }
}
