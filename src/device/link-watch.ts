// Follows the kernel's view of the device's interface over rtnetlink, as wireguard-go's
// tun_linux.go routineNetlinkListener does: an MTU set with `ip link set mtu` reaches the data
// plane, `ip link set address` reaches a route-mode (TAP) data plane, which addresses received
// frames to it, and `ip link delete` ends the device.
//
// Moving the interface to another namespace is not a deletion, although the namespace it leaves
// reports one (RTM_DELLINK): the watch asks the TUN fd where the interface is now (DeviceHome),
// listens there instead and reports the move, so that the rest of the netlink work follows it.
import { setTimeout as delay } from 'node:timers/promises';
import { RtnlClient } from '../netlink/client.js';
import { NetlinkError } from '../netlink/message.js';
import { RtnlMonitor } from '../netlink/monitor.js';
import { DeviceHome } from './device-home.js';
import type { DeviceEngine } from './engine.js';

// A move notifies the old namespace before the interface is in the new one; and it may move on
// again before we listen there. Ask again for up to about two seconds before giving up on it.
const SETTLE_ATTEMPTS = 100;
const SETTLE_DELAY_MS = 20;

export interface LinkWatchEvents {
  /** The interface was deleted (or can no longer be found). */
  deleted(): void;
  /** The interface now lives in home (another namespace), with this index there. */
  moved(home: DeviceHome, index: number): void;
}

export interface LinkWatch {
  /** Where the interface is now; valid until the next move. */
  readonly home: DeviceHome;
  /** Its interface index there. */
  readonly index: number;
  close(): void;
}

class LinkFollower implements LinkWatch {
  home!: DeviceHome;
  index = 0;
  private monitor: RtnlMonitor | undefined;
  private mtu = 0;
  private address: string | undefined;
  private closed = false;

  constructor(
    private readonly device: DeviceEngine,
    private readonly events: LinkWatchEvents,
  ) {}

  /** Finds the interface and listens to its namespace; false when it is gone. */
  async settle(previous: bigint | undefined): Promise<boolean> {
    for (let attempt = 1; !this.closed; attempt++) {
      let home: DeviceHome;
      try {
        home = DeviceHome.locate(this.device);
      } catch {
        return false;
      }
      if (home.namespace !== previous && (await this.listen(home))) return true;
      home.close();
      if (attempt === SETTLE_ATTEMPTS) return false;
      await delay(SETTLE_DELAY_MS);
    }
    return false;
  }

  close(): void {
    this.closed = true;
    this.monitor?.close();
    this.home?.close();
  }

  /** Subscribes in home's namespace, then reads the link; false when it is not there (moved on). */
  private async listen(home: DeviceHome): Promise<boolean> {
    const monitor = new RtnlMonitor({ groups: ['link'], netnsPath: home.netnsPath }).unref();
    const client = new RtnlClient({ netnsPath: home.netnsPath });
    let link;
    try {
      link = await client.getLink(home.name);
    } catch (error) {
      monitor.close();
      if (error instanceof NetlinkError && error.code === 'ENODEV') return false;
      throw error;
    } finally {
      client.close();
    }
    if (this.closed) {
      monitor.close();
      return false;
    }
    const first = this.home === undefined;
    // The previous home stays open until follow() has told everyone using it about the move.
    this.monitor?.close();
    this.monitor = monitor;
    this.home = home;
    this.index = link.index;
    monitor.on('change', (event) => {
      if (event.kind !== 'link' || event.link.index !== this.index || this.monitor !== monitor) return;
      if (event.action === 'delete') {
        void this.follow();
        return;
      }
      this.linkChanged(event.link.mtu, event.link.address);
    });
    monitor.on('error', () => undefined);
    if (first) {
      this.mtu = link.mtu;
      this.device.setMtu(link.mtu);
      this.address = hex(link.address);
    } else {
      this.linkChanged(link.mtu, link.address);
    }
    return true;
  }

  private linkChanged(mtu: number, address: Uint8Array | undefined): void {
    if (mtu !== this.mtu && mtu >= 576) {
      this.mtu = mtu;
      this.device.setMtu(mtu);
    }
    const newAddress = hex(address);
    if (newAddress !== this.address) {
      this.address = newAddress;
      this.device.linkAddressChanged();
    }
  }

  /** The interface left this namespace: deleted, or moved to another one. */
  private async follow(): Promise<void> {
    this.monitor?.close();
    this.monitor = undefined;
    const previous = this.home;
    let moved: boolean;
    try {
      moved = await this.settle(previous.namespace);
    } catch {
      moved = false;
    }
    if (this.closed) return;
    if (moved) {
      this.events.moved(this.home, this.index);
      previous.close();
    } else {
      this.events.deleted();
    }
  }
}

function hex(bytes: Uint8Array | undefined): string | undefined {
  return bytes && Buffer.from(bytes).toString('hex');
}

export async function watchLink(device: DeviceEngine, events: LinkWatchEvents): Promise<LinkWatch> {
  const follower = new LinkFollower(device, events);
  try {
    if (!(await follower.settle(undefined))) throw new Error(`interface ${device.ifname} went away`);
  } catch (error) {
    follower.close();
    throw error;
  }
  return follower;
}
