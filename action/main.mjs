// action.yml's main step: install the system packages, build, bring the tunnel up and publish
// its names and addresses as outputs; the namespaces are saved as state for the post step.
import { asRoot, ensureBuilt, fail, input, record, root, runHelper } from './run.mjs';

try {
  asRoot(`${root}/scripts/system-packages.sh`, ['--install', 'tunnel']);
  ensureBuilt();
  const tunnel = JSON.parse(runHelper(['up', input('left', 'viaguardd'), input('right', 'viaguardd'), input('index', '1')], true));
  record('GITHUB_STATE', { namespaces: `${tunnel.left.namespace} ${tunnel.right.namespace}` });
  const outputs = {};
  for (const side of ['left', 'right']) {
    for (const [key, value] of Object.entries(tunnel[side])) outputs[`${side}-${key}`] = value;
  }
  record('GITHUB_OUTPUT', outputs);
  console.log(`viaguard tunnel: ${tunnel.left.implementation} ${tunnel.left.address4} (netns ${tunnel.left.namespace}) <-> ${tunnel.right.implementation} ${tunnel.right.address4} (netns ${tunnel.right.namespace})`);
} catch (error) {
  fail(error);
}
