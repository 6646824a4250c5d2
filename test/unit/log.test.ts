import assert from 'node:assert/strict';
import { createLogger, parseLogLevel } from '../../src/log.js';

describe('log', () => {
  it('writes each level\'s lines only, and says whether verbose lines go anywhere', () => {
    for (const [value, written, verboseEnabled] of [
      ['verbose', ['DEBUG (wg0) v', 'ERROR (wg0) e'], true],
      ['debug', ['DEBUG (wg0) v', 'ERROR (wg0) e'], true],
      [undefined, ['ERROR (wg0) e'], false],
      ['silent', [], false],
    ] as const) {
      const lines: string[] = [];
      const log = createLogger('wg0', parseLogLevel(value), (line) => lines.push(line));
      log.verbose('v');
      log.error('e');
      assert.deepEqual(lines.map((l) => l.replace(/^\S+ /, '').trim()), written, `LOG_LEVEL=${value}`);
      assert.equal(log.verboseEnabled, verboseEnabled, `LOG_LEVEL=${value}`);
    }
  });
});
