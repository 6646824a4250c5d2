// Where the device's interface lives now: the network namespace it may have been moved to after
// we created it (the netns trick: `ip link set dev wg0 netns ns1`, https://www.wireguard.com/netns/)
// and its name there. The kernel tells through TUNGETDEVNETNS on the TUN fd. Netlink sockets
// about the interface (link, routes, neighbours) are opened through netnsPath; the UDP sockets
// stay in the namespace the daemon runs in, as the kernel's WireGuard keeps them where the
// interface was created.
import { closeSync, fstatSync, statSync } from 'node:fs';
import type { DeviceEngine } from './engine.js';

export class DeviceHome {
  private closed = false;

  private constructor(
    private readonly fd: number | undefined,
    /** The interface's name in that namespace. */
    readonly name: string,
    /** The namespace's inode: equal inodes, same namespace. */
    readonly namespace: bigint,
  ) {}

  /**
   * Asks the kernel where the device's interface is now. Throws once the interface was deleted.
   * A kernel before 5.2 cannot tell: the interface is taken to be in our own namespace.
   */
  static locate(device: DeviceEngine): DeviceHome {
    let found: { fd: number; name: string };
    try {
      found = device.deviceNamespace();
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'ENOTTY' && code !== 'EINVAL') throw error;
      return new DeviceHome(undefined, device.ifname, statSync('/proc/self/ns/net', { bigint: true }).ino);
    }
    try {
      return new DeviceHome(found.fd, found.name, fstatSync(found.fd, { bigint: true }).ino);
    } catch (error) {
      closeSync(found.fd);
      throw error;
    }
  }

  /** For netlink sockets opened while this home is current; undefined: our own namespace. */
  get netnsPath(): string | undefined {
    if (this.closed) throw new Error(`the namespace of ${this.name} was let go: the interface moved on`);
    return this.fd === undefined ? undefined : `/proc/self/fd/${this.fd}`;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fd !== undefined) closeSync(this.fd);
  }
}
