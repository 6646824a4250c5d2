// The README's example of the programmatic API (run as root: it creates an interface).
//   node dist/examples/device.js [IFACE]
import { Device, DeviceError } from 'viaguard';

const peer = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const device = await Device.create({
  name: process.argv[2] ?? 'vgexample0',
  privateKey: 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=',
  listenPort: 0,
});
device.on('event', (e) => console.log(`event ${e.event}`, e.allowed_ips_added ?? '', e.allowed_ips_removed ?? ''));
await device.watch();

await device.addPeer({ publicKey: peer, endpoint: '192.0.2.1:51820', allowedIps: ['10.0.0.2/32'] });
await device.addAllowedIps(peer, ['10.1.0.0/16', 'fd00:1::/64']); // the others stay
await device.removeAllowedIps(peer, ['10.0.0.2/32']);
try {
  await device.addAllowedIps(peer, ['10.300.0.0/16']);
} catch (error) {
  console.log(`refused: ${(error as DeviceError).message}`);
}

const status = await device.status();
console.log(`${status.name} ${status.publicKey} port ${status.listenPort}`);
for (const p of status.peers) console.log(`peer ${p.publicKey} ${p.endpoint} allowed ips ${p.allowedIps.join(', ')}`);
await device.close();
