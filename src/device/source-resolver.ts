// The `route` source check's control-plane half: the data plane asks, once per (source, our
// destination, peer) it has not seen, whether the kernel's route back to that source goes via
// the peer; the questions of one event-loop turn are answered together over netlink (`ip route
// get fibmatch SOURCE from DESTINATION`: rules on our address apply, and every ECMP hop counts)
// and handed back in one call. Answers are cached in the data plane
// until routes, rules or ownership change (route-watch.ts clears them).
import type { Logger } from '../log.js';
import { formatIp, parseIp, type IpAddress } from '../net/ip.js';
import type { RtnlClient } from '../netlink/client.js';
import type { Route } from '../netlink/route.js';
import type { SourceVerdict } from '../native/dataplane.js';
import type { DeviceEngine } from './engine.js';
import { hopsThrough, linkAddress } from './next-hops.js';

function isUnicast(address: IpAddress): boolean {
  const b = address.bytes;
  if (address.family === 6) return b[0] !== 0xff;
  return b[0] < 224 && !(b[0] === 255 && b[1] === 255 && b[2] === 255 && b[3] === 255);
}

interface Question {
  peer: number;
  address: string;
  destination: string;
  generation: number;
}

export class SourceResolver {
  private questions: Question[] = [];
  private scheduled = false;

  constructor(
    private readonly device: DeviceEngine,
    private readonly client: RtnlClient,
    private readonly ifindex: number,
    private readonly log: Logger,
  ) {}

  ask(question: Question): void {
    this.questions.push(question);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.answerAll());
  }

  private async answerAll(): Promise<void> {
    this.scheduled = false;
    const batch = this.questions;
    this.questions = [];
    const verdicts: SourceVerdict[] = await Promise.all(
      batch.map(async (q) => ({
        address: q.address,
        destination: q.destination,
        peer: q.peer,
        generation: q.generation,
        accept: await this.routesVia(q.address, q.destination, q.peer),
      })),
    );
    this.device.settleSources(verdicts);
  }

  /** Whether the kernel's route from local to address leaves through our interface towards peer. */
  private async routesVia(address: string, local: string, peer: number): Promise<boolean> {
    const source = parseIp(address);
    const ours = parseIp(local);
    if (!source || !ours) return false;
    let route: Route;
    try {
      route = await this.lookup(source, ours);
    } catch (error) {
      // No route at all (ENETUNREACH and the like): nothing vouches for the source.
      this.log.verbose(`source check: no route back to ${address}: ${(error as Error).message}`);
      return false;
    }
    if (route.type !== 'unicast') return false;
    return hopsThrough(route, this.ifindex).some((hop) => this.device.ownerOf(formatIp(linkAddress(hop, source))) === peer);
  }

  /**
   * `ip route get fibmatch SOURCE from LOCAL`, so that rules on our address apply as they do to
   * our replies. The kernel refuses `from` an address that is not ours (a forwarded packet's
   * destination) or not unicast: then the route back is looked up as for any sender.
   */
  private async lookup(source: IpAddress, local: IpAddress): Promise<Route> {
    if (isUnicast(local)) {
      try {
        return await this.client.getRoute(source, { source: local, fibMatch: true });
      } catch {
        // fall through to the plain lookup
      }
    }
    return this.client.getRoute(source, { fibMatch: true });
  }
}
