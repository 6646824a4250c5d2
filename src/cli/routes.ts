// `viaguard routes IFACE [--json]`: every route through the interface in every table, with the
// peer each next hop resolves to (or none and why), read over rtnetlink and the UAPI.
import { formatRouteReport, reportRoutes } from '../device/route-report.js';
import { RtnlClient } from '../netlink/client.js';
import { UapiClient } from '../uapi/client.js';
import { checkInterfaceName } from '../uapi/socket-path.js';

const USAGE = 'usage: viaguard routes IFACE [--json]';

/** Runs the command; returns the exit status (0 ok, 1 failure, 2 usage). */
export async function runRoutes(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const rest = argv.filter((a) => a !== '--json');
  if (rest.length !== 1 || rest[0].startsWith('-')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let ifname: string;
  try {
    ifname = checkInterfaceName(rest[0]);
  } catch (error) {
    process.stderr.write(`viaguard routes: ${(error as Error).message}\n`);
    return 2;
  }
  const client = new RtnlClient();
  try {
    const status = await new UapiClient(ifname).get();
    const ifindex = await client.linkIndex(ifname);
    const reports = reportRoutes(await client.listRoutes(), ifindex, status);
    if (json) process.stdout.write(`${JSON.stringify({ interface: ifname, peerSelection: status.peerSelection ?? 'allowed-ips', routes: reports }, null, 2)}\n`);
    else for (const line of formatRouteReport(reports, status)) process.stdout.write(`${line}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`viaguard routes ${ifname}: ${(error as Error).message}\n`);
    return 1;
  } finally {
    client.close();
  }
}
