// The `route` source check's control-plane half: the data plane asks, once per (source, peer)
// pair it has not seen, whether the kernel's route back to that source goes via the peer; the
// questions of one event-loop turn are answered together over netlink (`ip route get fibmatch`:
// every ECMP hop counts) and handed back in one call. Answers are cached in the data plane
// until routes, rules or ownership change (route-watch.ts clears them).
import type { Logger } from '../log.js';
import { formatIp, parseIp } from '../net/ip.js';
import type { RtnlClient } from '../netlink/client.js';
import type { SourceVerdict } from '../native/dataplane.js';
import type { Device } from './device.js';
import { hopsThrough, linkAddress } from './next-hops.js';

interface Question {
  peer: number;
  address: string;
  generation: number;
}

export class SourceResolver {
  private questions: Question[] = [];
  private scheduled = false;

  constructor(
    private readonly device: Device,
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
      batch.map(async (q) => ({ address: q.address, peer: q.peer, generation: q.generation, accept: await this.routesVia(q.address, q.peer) })),
    );
    this.device.settleSources(verdicts);
  }

  /** Whether the kernel's route to address leaves through our interface towards peer. */
  private async routesVia(address: string, peer: number): Promise<boolean> {
    const source = parseIp(address);
    if (!source) return false;
    try {
      const route = await this.client.getRoute({ destination: source, fibMatch: true });
      if (route.type !== 'unicast') return false;
      return hopsThrough(route, this.ifindex).some((hop) => this.device.ownerOf(formatIp(linkAddress(hop, source))) === peer);
    } catch (error) {
      // No route at all (ENETUNREACH and the like): nothing vouches for the source.
      this.log.verbose(`source check: no route back to ${address}: ${(error as Error).message}`);
      return false;
    }
  }
}
