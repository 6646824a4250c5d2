import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { COMMANDS } from '../../src/cli/commands.js';

describe('systemd/viaguard@.service', () => {
  const unit = readFileSync(new URL('../../../systemd/viaguard@.service', import.meta.url), 'utf8');
  const directive = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(unit)?.[1];

  it('is a oneshot that stays active, ordered after the network and installable', () => {
    assert.equal(directive('Type'), 'oneshot');
    assert.equal(directive('RemainAfterExit'), 'yes');
    assert.match(directive('After') ?? '', /network-online\.target/);
    assert.equal(directive('WantedBy'), 'multi-user.target');
  });

  it('runs only viaguard subcommands that exist, with the instance name', () => {
    const used = [...unit.matchAll(/viaguard (\w+) %i/g)].map((m) => m[1]);
    assert.deepEqual(used.sort(), ['down', 'strip', 'syncconf', 'up']);
    for (const name of used) assert.ok(COMMANDS.has(name), `viaguard ${name} exists`);
  });
});

describe('systemd/viaguard-metrics.timer and .service', () => {
  const read = (name: string) => readFileSync(new URL(`../../../systemd/${name}`, import.meta.url), 'utf8');
  const directive = (unit: string, name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(unit)?.[1];

  it('the timer starts the service at once and every 15 s, and is installable', () => {
    const timer = read('viaguard-metrics.timer');
    assert.equal(directive(timer, 'OnActiveSec'), '0');
    assert.equal(directive(timer, 'OnUnitActiveSec'), '15s');
    assert.equal(directive(timer, 'WantedBy'), 'timers.target');
    assert.equal(directive(timer, 'Unit'), undefined, 'the service of the same name');
  });

  it('the service writes every interface\'s metrics into node_exporter\'s textfile directory with a command that exists', () => {
    const service = read('viaguard-metrics.service');
    assert.equal(directive(service, 'Type'), 'oneshot');
    const exec = directive(service, 'ExecStart') ?? '';
    assert.match(exec, /^\/usr\/bin\/env viaguard metrics all --output \/var\/lib\/prometheus\/node-exporter\/[\w-]+\.prom$/);
    assert.ok(COMMANDS.has('metrics'));
  });
});
