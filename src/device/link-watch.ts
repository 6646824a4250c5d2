// Follows the kernel's view of the device's interface over rtnetlink, as wireguard-go's
// tun_linux.go routineNetlinkListener does: an MTU set with `ip link set mtu` reaches the data
// plane, `ip link set address` reaches a route-mode (TAP) data plane, which addresses received
// frames to it, and `ip link delete` ends the device.
import { RtnlClient } from '../netlink/client.js';
import { RtnlMonitor } from '../netlink/monitor.js';
import type { DeviceEngine } from './engine.js';

export interface LinkWatch {
  close(): void;
}

export async function watchLink(device: DeviceEngine, onDeleted: () => void): Promise<LinkWatch> {
  const monitor = new RtnlMonitor({ groups: ['link'] }).unref();
  const client = new RtnlClient();
  let link;
  try {
    link = await client.getLink(device.ifname);
  } catch (error) {
    monitor.close();
    throw error;
  } finally {
    client.close();
  }
  const index = link.index;
  let mtu = link.mtu;
  device.setMtu(mtu);
  let address = link.address && Buffer.from(link.address).toString('hex');
  monitor.on('change', (event) => {
    if (event.kind !== 'link' || event.link.index !== index) return;
    if (event.action === 'delete') {
      onDeleted();
      return;
    }
    if (event.link.mtu !== mtu && event.link.mtu >= 576) {
      mtu = event.link.mtu;
      device.setMtu(mtu);
    }
    const newAddress = event.link.address && Buffer.from(event.link.address).toString('hex');
    if (newAddress !== address) {
      address = newAddress;
      device.linkAddressChanged();
    }
  });
  monitor.on('error', () => undefined);
  return { close: () => monitor.close() };
}
