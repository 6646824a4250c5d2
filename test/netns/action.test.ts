// action.yml run as the runner runs a node action: main with INPUT_* and the GITHUB_OUTPUT /
// GITHUB_STATE files, the job's own step using the outputs, then post with STATE_*; the tunnel
// works in between and is gone afterwards.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Namespace } from '../../src/testing/netns.js';
import { requireRoot, runOk } from '../support/run.js';

const ACTION = fileURLToPath(new URL('../../../action/', import.meta.url));

function runStep(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ACTION, script)], { env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: stdout + stderr });
    });
  });
}

/** name=value lines, as the runner reads GITHUB_OUTPUT and GITHUB_STATE. */
function readPairs(path: string): Record<string, string> {
  return Object.fromEntries(readFileSync(path, 'utf8').trim().split('\n').filter(Boolean).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

describe('action.yml: a throwaway tunnel for a workflow job', function () {
  this.timeout(120_000);
  let dir = '';
  before(() => {
    requireRoot();
    dir = mkdtempSync(join(tmpdir(), 'action-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('declares a node action with a main and a post step and the inputs main reads', () => {
    const yml = readFileSync(join(ACTION, '..', 'action.yml'), 'utf8');
    assert.match(yml, /^runs:\n {2}using: node20\n {2}main: action\/main\.mjs\n {2}post: action\/post\.mjs$/m);
    for (const input of ['left', 'right', 'index']) assert.match(yml, new RegExp(`^ {2}${input}:$`, 'm'));
  });

  it('main brings up viaguardd <-> wireguard-go with outputs, post removes it', async () => {
    const output = join(dir, 'output');
    const state = join(dir, 'state');
    writeFileSync(output, '');
    writeFileSync(state, '');
    const main = await runStep('main.mjs', { INPUT_LEFT: 'viaguardd', INPUT_RIGHT: 'wireguard-go', INPUT_INDEX: '63', GITHUB_OUTPUT: output, GITHUB_STATE: state });
    assert.equal(main.code, 0, main.stdout);
    const out = readPairs(output);
    assert.equal(out['left-implementation'], 'viaguardd');
    assert.equal(out['right-implementation'], 'wireguard-go');
    assert.equal(out['right-address4'], '10.63.0.2');
    try {
      const ping = await Namespace.byName(out['left-namespace']).exec('ping', ['-c', '2', '-i', '0.2', '-W', '5', out['right-address4']]);
      assert.match(ping, /2 received/);
      const show = await Namespace.byName(out['right-namespace']).exec('wg', ['show', out['right-interface'], 'latest-handshakes']);
      assert.notEqual(show.trim().split('\t')[1], '0');
    } finally {
      const post = await runStep('post.mjs', { STATE_namespaces: readPairs(state).namespaces });
      assert.equal(post.code, 0, post.stdout);
    }
    const left = (await runOk('ip', ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0]);
    assert.ok(!left.includes(out['left-namespace']) && !left.includes(out['right-namespace']), 'namespaces removed');
  });

  it('refuses a bad input with one error annotation and builds nothing', async () => {
    const output = join(dir, 'output2');
    const state = join(dir, 'state2');
    writeFileSync(output, '');
    writeFileSync(state, '');
    const main = await runStep('main.mjs', { INPUT_LEFT: 'boringtun', GITHUB_OUTPUT: output, GITHUB_STATE: state });
    assert.equal(main.code, 1);
    assert.match(main.stdout, /^::error::viaguard tunnel: /m);
    assert.match(main.stdout, /left: expected viaguardd or wireguard-go, got "boringtun"/);
    assert.equal(readFileSync(state, 'utf8'), '');
    const post = await runStep('post.mjs', { STATE_namespaces: '' });
    assert.equal(post.code, 0);
  });
});
