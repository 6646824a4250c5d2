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
