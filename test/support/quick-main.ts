// `node quick-main.js up|down|save CONFIG`: runUp/runDown as the viaguard dispatcher will call them,
// so privileged tests can run them inside a network namespace (`ip netns exec`).
import { runDown, runSave, runUp } from '../../src/quick/cli.js';

const [command, ...rest] = process.argv.slice(2);
if (command === 'up') process.exitCode = await runUp(rest);
else if (command === 'down') process.exitCode = await runDown(rest);
else if (command === 'save') process.exitCode = await runSave(rest);
else {
  process.stderr.write('usage: quick-main.js up|down|save CONFIG\n');
  process.exitCode = 2;
}
