import assert from 'node:assert/strict';
import { QuickError } from '../../src/quick/errors.js';
import { Steps } from '../../src/quick/steps.js';

describe('quick: steps and their undoing', () => {
  it('announces each step, names the step in its failure, passes QuickErrors through', async () => {
    const log: string[] = [];
    const steps = new Steps((line) => log.push(line));
    assert.equal(await steps.run('ip link set up dev x', async () => 42), 42);
    await assert.rejects(
      steps.run('ip -4 route add 10.0.0.0/8 dev x', async () => {
        throw new Error('RTM_NEWROUTE: File exists (EEXIST)');
      }),
      (e: Error) => e instanceof QuickError && e.message === 'ip -4 route add 10.0.0.0/8 dev x: RTM_NEWROUTE: File exists (EEXIST)',
    );
    await assert.rejects(
      steps.run('wg setconf x', async () => {
        throw new QuickError('x: the daemon rejected the configuration (errno=-22)');
      }),
      { message: 'x: the daemon rejected the configuration (errno=-22)' },
    );
    assert.deepEqual(log, ['[#] ip link set up dev x', '[#] ip -4 route add 10.0.0.0/8 dev x', '[#] wg setconf x']);
  });

  it('rolls back newest first, reporting a failing undo and going on', async () => {
    const log: string[] = [];
    const done: string[] = [];
    const steps = new Steps((line) => log.push(line));
    steps.onUndo('first', async () => done.push('first'));
    steps.onUndo('second', async () => {
      throw new Error('ENOENT');
    });
    steps.onUndo('third', async () => done.push('third'));
    await steps.rollBack();
    assert.deepEqual(done, ['third', 'first']);
    assert.deepEqual(log, ['[#] third', '[#] second', 'Warning: second: ENOENT', '[#] first']);
    await steps.rollBack();
    assert.deepEqual(done, ['third', 'first'], 'each undo runs once');
  });

  it('once aborted, no further step runs', async () => {
    const controller = new AbortController();
    const steps = new Steps(() => undefined, controller.signal);
    steps.checkpoint();
    await steps.run('one', async () => undefined);
    controller.abort();
    assert.throws(() => steps.checkpoint(), { name: 'QuickError', message: 'interrupted' });
    let ran = false;
    await assert.rejects(
      steps.run('two', async () => {
        ran = true;
      }),
      { message: 'interrupted' },
    );
    assert.equal(ran, false);
  });
});
