// `node quick-main.js up|down CONFIG`: runUp/runDown as the viaguard dispatcher will call them,
// so privileged tests can run them inside a network namespace (`ip netns exec`).
import { runDown, runUp } from '../../src/quick/cli.js';

const [command, ...rest] = process.argv.slice(2);
if (command === 'up') process.exitCode = await runUp(rest);
else if (command === 'down') process.exitCode = await runDown(rest);
else {
  process.stderr.write('usage: quick-main.js up|down CONFIG\n');
  process.exitCode = 2;
}
