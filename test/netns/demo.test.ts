// The README's first command ends in `npm run demo`: it must show what it claims (three peers
// chosen by routing, viaguard routes, a watch event, the source check), and leave nothing behind
// whether it finishes or is interrupted. `npm run demo:tunnel` too.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { requireRoot, runOk } from '../support/run.js';

const script = (name: string) => fileURLToPath(new URL(`../../scripts/${name}.js`, import.meta.url));

interface DemoRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Runs a demo; `interruptAt`: sends SIGINT once that text has been printed. */
function runDemo(name: string, interruptAt?: string): Promise<DemoRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script(name)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (d: Buffer) => {
      output += d.toString();
      if (interruptAt && output.includes(interruptAt) && child.exitCode === null && !child.killed) child.kill('SIGINT');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('close', (code, signal) => resolve({ code, signal, output }));
  });
}

/** The namespaces a demo announced on its "namespaces:" line. */
function namespacesOf(output: string): string[] {
  const line = output.split('\n').find((l) => l.startsWith('namespaces: '));
  assert.ok(line, `the demo names its namespaces:\n${output}`);
  return line.slice('namespaces: '.length).trim().split(' ');
}

async function assertGone(namespaces: string[]): Promise<void> {
  const left = (await runOk('ip', ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0]);
  assert.deepEqual(namespaces.filter((ns) => left.includes(ns)), [], 'namespaces left behind');
}

describe('npm run demo (route mode) and demo:tunnel', function () {
  this.timeout(120_000);
  before(() => requireRoot());

  it('shows routing picking each of three peers, the routes, a watch event and the source check, then cleans up', async () => {
    const { code, output } = await runDemo('demo');
    assert.equal(code, 0, output);
    const lines = output.split('\n');
    for (const peer of [1, 2, 3]) {
      assert.ok(lines.some((l) => /^ {5}3\/3 replies; bytes A sent to peers 1\/2\/3: .* => peer \d$/.test(l) && l.endsWith(`=> peer ${peer}`)), `a ping carried by peer ${peer}:\n${output}`);
    }
    for (const [table, peer] of [['main', 1], ['101', 2], ['102', 3]]) {
      assert.ok(lines.some((l) => l.includes(`10.99.0.0/24 table ${table} via `) && l.includes(`-> peer ${peer} (`)), `viaguard routes, table ${table}:\n${output}`);
    }
    const event = lines.find((l) => l.includes('"event":"allowed_ips"'));
    assert.ok(event, output);
    assert.deepEqual((JSON.parse(event) as { allowed_ips_added: string[] }).allowed_ips_added, ['10.42.0.0/16']);
    assert.ok(lines.includes('     (public_key is peer 2)'), output);
    assert.match(output, /A# viaguard set \S+ source-check allowed-ips\n.*\n {5}0\/2 replies; peer 1's source_check_drops \+[1-9]/);
    assert.match(output, /A# viaguard set \S+ source-check route\n.*\n {5}3\/3 replies; peer 1's source_check_drops \+0 /);
    assert.match(output, /\ndemo: ok \(\d+\.\d s\)\n$/);
    await assertGone(namespacesOf(output));
  });

  it('cleans up when interrupted (Ctrl-C) while setting up and while running, and exits 130', async () => {
    const demoNamespaces = async () => (await runOk('ip', ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0]).filter((n) => /^dm(A|P\d)-/.test(n));
    const before = await demoNamespaces();
    const early = await runDemo('demo', 'route mode, Linux routing picks the peer');
    assert.equal(early.code, 130, early.output);
    assert.deepEqual((await demoNamespaces()).filter((n) => !before.includes(n)), [], 'namespaces of a demo interrupted while setting up');
    const late = await runDemo('demo', '1. One destination');
    assert.equal(late.code, 130, late.output);
    assert.doesNotMatch(late.output, /demo: ok/);
    await assertGone(namespacesOf(late.output));
  });

  it('demo:tunnel pings both ways through viaguardd <-> wireguard-go and shows wg show', async () => {
    const { code, output } = await runDemo('demo-tunnel');
    assert.equal(code, 0, output);
    assert.match(output, /ping viaguardd -> 10\.200\.0\.2: 3 packets transmitted, 3 received/);
    assert.match(output, /ping wireguard-go -> 10\.200\.0\.1: 3 packets transmitted, 3 received/);
    assert.match(output, /latest handshake: /);
    assert.match(output, /demo: ok/);
  });
});
