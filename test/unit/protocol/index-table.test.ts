import assert from 'node:assert/strict';
import { randomU32 } from '../../../src/protocol/crypto.js';
import { MapIndexTable } from '../../../src/protocol/index-table.js';
import { SeededRandom } from './harness.js';

describe('protocol index table', () => {
  it('hands out indices neither it nor the data plane holds, and frees them', () => {
    // The same seed tells which indices the table will draw: the data plane "holds" the first two.
    const draws = new SeededRandom(5);
    const first = randomU32(draws);
    const second = randomU32(draws);
    const third = randomU32(draws);
    const held = new Set([first, second]);
    const table = new MapIndexTable(new SeededRandom(5), (index) => held.has(index));
    assert.equal(table.allocate(7), third);
    assert.equal(table.lookup(third), 7);
    assert.equal(table.lookup(first), undefined);
    table.release(third);
    assert.equal(table.lookup(third), undefined);
    assert.equal(table.size, 0);
  });
});
