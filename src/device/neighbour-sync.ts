// Route mode: keeps the kernel's neighbour entries on the TAP interface true to who owns each
// address now. After peers or AllowedIPs change, or an address is learnt by another peer, one
// pass (coalesced: at most one runs, one more follows if changes came meanwhile) rewrites every
// entry whose MAC no longer stands for the address's owner and deletes those nobody owns, so
// no frame goes to a stale peer. Entries set by hand (permanent, noarp) are left alone.
import type { Logger } from '../log.js';
import { formatIp } from '../net/ip.js';
import type { RtnlClient } from '../netlink/client.js';
import { NUD } from '../netlink/constants.js';
import type { Neighbour } from '../netlink/neighbour.js';
import type { DeviceEngine } from './engine.js';

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

function isMulticast(n: Neighbour): boolean {
  return n.family === 4 ? (n.destination.bytes[0] & 0xf0) === 0xe0 : n.destination.bytes[0] === 0xff;
}

export class NeighbourSync {
  private running: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly device: DeviceEngine,
    private readonly client: RtnlClient,
    private readonly ifindex: number,
    private readonly log: Logger,
  ) {}

  /** Runs a pass now (or right after the one running); resolves when the kernel is in sync. */
  schedule(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.pass();
        } catch (error) {
          this.log.error(`neighbour sync on ${this.device.ifname} failed: ${(error as Error).message}`);
        }
      } while (this.again && !this.device.closed);
      this.running = undefined;
    })();
    return this.running;
  }

  private async pass(): Promise<void> {
    const entries = await this.client.listNeighbours({ dev: this.ifindex });
    await Promise.all(entries.map((n) => this.fix(n)));
  }

  private async fix(n: Neighbour): Promise<void> {
    if (n.state & (NUD.PERMANENT | NUD.NOARP) || isMulticast(n) || this.device.closed) return;
    const owner = this.device.ownerOf(formatIp(n.destination));
    try {
      if (owner === undefined) {
        if (n.lladdr) await this.client.deleteNeighbour({ dev: this.ifindex, destination: n.destination });
        return;
      }
      const mac = this.device.peerMacOf(owner);
      if (sameBytes(n.lladdr, mac)) return;
      await this.client.replaceNeighbour({ dev: this.ifindex, destination: n.destination, lladdr: mac, state: NUD.REACHABLE });
    } catch (error) {
      // The entry went away meanwhile, or the peer was removed between lookup and write.
      if ((error as { code?: string }).code === 'ENOENT' || error instanceof RangeError) return;
      throw error;
    }
  }
}
