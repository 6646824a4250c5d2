// npm run demo:tunnel — the plain tunnel: two network namespaces joined by a
// veth pair, viaguardd in one and Debian's wireguard-go in the other, a ping each way through
// the tunnel (IPv4 and IPv6), then the status as `wg show` prints it. Cleans up however it ends.
import { createTunnelPair, viaguardd, wireguardGo, type TunnelPair } from '../src/testing/tunnel-pair.js';

if (process.getuid?.() !== 0) {
  console.error('demo: needs root (it creates network namespaces); run: sudo npm run demo');
  process.exit(1);
}

let pair: TunnelPair | undefined;
const cleanUp = async () => {
  await pair?.destroy();
  pair = undefined;
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().then(() => process.exit(130)));
}

try {
  console.log('demo: two namespaces, viaguardd on the left, wireguard-go on the right');
  pair = await createTunnelPair(viaguardd, wireguardGo, { index: 200 });
  const { left, right } = pair;
  for (const [from, to, family] of [
    [left, right.tunnel4, '-4'],
    [right, left.tunnel4, '-4'],
    [left, right.tunnel6, '-6'],
  ] as const) {
    const out = await from.ns.exec('ping', [family, '-c', '3', '-i', '0.2', '-W', '5', to]);
    const summary = out.split('\n').find((line) => line.includes('packets transmitted'));
    console.log(`ping ${from.impl.label} -> ${to}: ${summary}`);
  }
  console.log(`\n$ wg show ${left.ifname}    # viaguardd\n`);
  console.log(await left.ns.exec('wg', ['show', left.ifname]));
  console.log('demo: ok');
} catch (error) {
  console.error(`demo: failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
