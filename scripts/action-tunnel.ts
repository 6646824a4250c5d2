// The GitHub Action's (action.yml) privileged half, run as root by action/main.mjs and post.mjs:
//   node dist/scripts/action-tunnel.js up LEFT RIGHT INDEX   builds a tunnel, checks it with a
//     ping, prints one JSON line of its names and addresses; the tunnel outlives this process
//   node dist/scripts/action-tunnel.js down NAMESPACE...     destroys what `up` built
import { Namespace } from '../src/testing/netns.js';
import { createTunnelPair, viaguardd, wireguardGo, type Implementation } from '../src/testing/tunnel-pair.js';

const IMPLEMENTATIONS: Record<string, Implementation> = { viaguardd, 'wireguard-go': wireguardGo };

function implementation(name: string | undefined, which: string): Implementation {
  const impl = IMPLEMENTATIONS[name ?? ''];
  if (!impl) throw new Error(`${which}: expected viaguardd or wireguard-go, got ${JSON.stringify(name)}`);
  return impl;
}

async function up(args: string[]): Promise<void> {
  const [left, right, indexText = '1'] = args;
  const index = Number(indexText);
  if (!Number.isInteger(index) || index < 1 || index > 250) throw new Error(`index: expected 1..250, got ${JSON.stringify(indexText)}`);
  const pair = await createTunnelPair(implementation(left, 'left'), implementation(right, 'right'), { index });
  try {
    await pair.left.ns.exec('ping', ['-c', '1', '-W', '10', pair.right.tunnel4]);
  } catch (error) {
    await pair.destroy();
    throw error;
  }
  const end = (e: typeof pair.left) => ({ namespace: e.ns.name, interface: e.ifname, address4: e.tunnel4, address6: e.tunnel6, implementation: e.impl.label });
  console.log(JSON.stringify({ left: end(pair.left), right: end(pair.right) }));
}

async function down(names: string[]): Promise<void> {
  for (const name of names) await Namespace.byName(name).destroy();
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'up') await up(rest);
  else if (command === 'down') await down(rest);
  else throw new Error('usage: action-tunnel.js up LEFT RIGHT [INDEX] | down NAMESPACE...');
} catch (error) {
  console.error(`viaguard action: ${(error as Error).message}`);
  process.exitCode = 1;
}
