// npm run demo — route mode, what viaguard is for: one viaguardd in route mode with three Debian
// wireguard-go peers that all hold the same address 10.99.0.1, and Linux policy routing (the main
// table, a source rule, a fwmark rule) choosing which peer a packet to it reaches; then
// `viaguard routes`, `viaguard watch` seeing an AllowedIPs change, and the source check at `route`
// accepting replies that `allowed-ips` drops. Cleans up however it ends (also on Ctrl-C).
// The plain tunnel is `npm run demo:tunnel`.
import { createRouteMesh, type RouteMesh } from '../src/testing/route-mesh.js';
import { VIAGUARD_PATH } from '../src/testing/tunnel-pair.js';
import { UapiClient } from '../src/uapi/client.js';

if (process.getuid?.() !== 0) {
  console.error('demo: needs root (it creates network namespaces); run: sudo npm run demo');
  process.exit(1);
}

const started = Date.now();
let meshCreation: Promise<RouteMesh> | undefined;
let cleaning: Promise<void> | undefined;
const cleanUp = () =>
  (cleaning ??= (async () => {
    const mesh = await meshCreation?.catch(() => undefined);
    await mesh?.destroy();
  })());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().then(() => process.exit(130)));
}

const bytes = (n: number) => n.toLocaleString('en-US');

async function main(): Promise<void> {
  console.log('viaguard demo: route mode, Linux routing picks the peer\n');
  meshCreation = createRouteMesh(3, 'dm');
  const mesh = await meshCreation;
  const { a, ifname, peers } = mesh;
  const [p1, p2, p3] = peers;
  console.log(`node A runs viaguardd --peer-selection route ${ifname} (a TAP interface, 100.64.0.1/24)`);
  peers.forEach((p, i) => console.log(`peer ${i + 1}: wireguard-go, tunnel address ${p.tunnel4}, key ${p.keys.publicKey}, also holds 10.99.0.1`));
  console.log(`namespaces: ${[a, ...peers.map((p) => p.ns)].map((ns) => ns.name).join(' ')}`);

  const inA = async (args: string[], shown = args.join(' ')) => {
    console.log(`  A# ${shown}`);
    return a.exec(args[0], args.slice(1));
  };
  const viaguard = (args: string[]) => inA([process.execPath, VIAGUARD_PATH, ...args], `viaguard ${args.join(' ')}`);
  const peerName = (key: string) => `peer ${peers.findIndex((p) => p.keys.publicKey === key) + 1}`;

  console.log('\n1. One destination, three peers: the main table, a source rule and a fwmark rule');
  // Replies come from 10.99.0.1, which is in no peer's AllowedIPs: part 4 is about that.
  await viaguard(['set', ifname, 'source-check', 'off']);
  await inA(['ip', 'route', 'add', '10.99.0.0/24', 'via', p1.tunnel4, 'dev', ifname]);
  await inA(['ip', 'rule', 'add', 'from', '100.64.9.1', 'lookup', '101']);
  await inA(['ip', 'route', 'add', '10.99.0.0/24', 'via', p2.tunnel4, 'dev', ifname, 'table', '101']);
  await inA(['ip', 'rule', 'add', 'fwmark', '153', 'lookup', '102']);
  await inA(['ip', 'route', 'add', '10.99.0.0/24', 'via', p3.tunnel4, 'dev', ifname, 'table', '102']);
  await a.exec('ip', ['addr', 'add', '100.64.9.1/32', 'dev', 'lo']);
  for (const [options, expected] of [[[], 0], [['-I', '100.64.9.1'], 1], [['-m', '153'], 2]] as const) {
    const before = await mesh.txByPeer();
    const out = await inA(['ping', '-c', '3', '-i', '0.2', '-s', '1000', '-W', '5', ...options, '10.99.0.1']);
    const sent = (await mesh.txByPeer()).map((tx, i) => tx - before[i]);
    const busiest = sent.indexOf(Math.max(...sent));
    const received = /(\d+) received/.exec(out)?.[1];
    console.log(`     ${received}/3 replies; bytes A sent to peers 1/2/3: ${sent.map(bytes).join(' / ')}  => peer ${busiest + 1}`);
    if (busiest !== expected) throw new Error(`expected peer ${expected + 1} to carry the ping, got peer ${busiest + 1}`);
  }

  console.log('\n2. Which route reaches which peer');
  const routes = await viaguard(['routes', ifname]);
  // The local table's routes (the interface's own addresses) reach no peer by nature: left out.
  for (const line of routes.trim().split('\n').filter((l) => !l.includes(' table local '))) {
    console.log(`     ${peers.reduce((text, p, i) => text.replaceAll(p.keys.publicKey, `${i + 1} (${p.keys.publicKey.slice(0, 8)}…)`), line)}`);
  }

  console.log('\n3. Change notifications: viaguard watch, while a prefix is added');
  const watch = a.spawn(process.execPath, [VIAGUARD_PATH, 'watch', ifname]);
  let watched = '';
  watch.stdout?.on('data', (d: Buffer) => (watched += d.toString()));
  console.log(`  A# viaguard watch ${ifname} &`);
  const added = (line: string) => line.includes('"allowed_ips_added":["10.42.0.0/16"]');
  // The watcher may not be subscribed yet when the first change lands: take the prefix back and
  // add it again until the event shows.
  const changeP2 = (change: string, shown: boolean) => {
    const args = ['set', ifname, 'peer', p2.keys.publicKey, 'allowed-ips', change];
    return shown ? viaguard(args) : a.exec(process.execPath, [VIAGUARD_PATH, ...args]);
  };
  for (let attempt = 0; !watched.split('\n').some(added); attempt++) {
    if (attempt === 10) throw new Error(`viaguard watch printed no allowed_ips event: ${JSON.stringify(watched)}`);
    if (attempt > 0) await changeP2('-10.42.0.0/16', false);
    await changeP2('+10.42.0.0/16', attempt === 0);
    const deadline = Date.now() + 1000;
    while (!watched.split('\n').some(added) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }
  const event = watched.split('\n').find(added)!;
  console.log(`     ${event}`);
  console.log(`     (public_key is ${peerName((JSON.parse(event) as { public_key: string }).public_key)})`);
  watch.kill();

  console.log('\n4. Source check: replies from 10.99.0.1, which no peer\'s AllowedIPs hold');
  const drops = async () => {
    const status = await new UapiClient(ifname).get();
    const peer = status.peers.find((p) => Buffer.from(p.publicKey).toString('base64') === p1.keys.publicKey);
    return Number(peer?.extra.find(([key]) => key === 'source_check_drops')?.[1] ?? 0);
  };
  await viaguard(['set', ifname, 'source-check', 'allowed-ips']);
  let before = await drops();
  const refused = await inA(['ping', '-c', '2', '-i', '0.2', '-W', '1', '10.99.0.1']).catch((error: Error) => error.message);
  const lost = /(\d+) received/.exec(refused)?.[1] ?? '0';
  console.log(`     ${lost}/2 replies; peer 1's source_check_drops +${(await drops()) - before}  (WireGuard's own check)`);
  if (lost !== '0') throw new Error('source check allowed-ips let replies from outside AllowedIPs in');
  await viaguard(['set', ifname, 'source-check', 'route']);
  before = await drops();
  const accepted = await inA(['ping', '-c', '3', '-i', '0.2', '-W', '5', '10.99.0.1']);
  console.log(`     ${/(\d+) received/.exec(accepted)?.[1]}/3 replies; peer 1's source_check_drops +${(await drops()) - before}  (the route back to 10.99.0.1 leads to peer 1)`);

  console.log(`\ndemo: ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

try {
  await main();
} catch (error) {
  console.error(`demo: failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
