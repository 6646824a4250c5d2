import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRtTables, readTableNames, tableSetting } from '../../src/quick/table.js';

describe('quick: the Table setting', () => {
  const names = parseRtTables('#\n# reserved values\n255\tlocal\n254\tmain  # comment\n0x100 hexed\nbogus\n7 seven extra\n42 vpn\n');

  it('parseRtTables reads "NUMBER NAME" lines, decimal or hex, and skips the rest', () => {
    assert.deepEqual([...names], [
      ['local', 255],
      ['main', 254],
      ['hexed', 256],
      ['vpn', 42],
    ]);
  });

  it('auto, off, numbers and names', () => {
    assert.deepEqual(tableSetting(undefined, names), { kind: 'auto' });
    assert.deepEqual(tableSetting('auto', names), { kind: 'auto' });
    assert.deepEqual(tableSetting('off', names), { kind: 'off' });
    assert.deepEqual(tableSetting('1234', names), { kind: 'table', id: 1234 });
    assert.deepEqual(tableSetting('0x10', names), { kind: 'table', id: 16 });
    assert.deepEqual(tableSetting('main', names), { kind: 'table', id: 254 });
    assert.deepEqual(tableSetting('vpn', names), { kind: 'table', id: 42 });
  });

  it('unknown names, 0, too large numbers and wrong-case keywords name no table', () => {
    for (const value of ['nosuch', '0', '4294967296', 'Off', 'AUTO']) assert.equal(tableSetting(value, names), undefined, value);
  });

  it('readTableNames: built-ins, then rt_tables and rt_tables.d/*.conf of each directory, later wins', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'quick-tables-'));
    try {
      await mkdir(join(dir, 'a', 'rt_tables.d'), { recursive: true });
      await mkdir(join(dir, 'b'));
      await writeFile(join(dir, 'a', 'rt_tables'), '100 alpha\n');
      await writeFile(join(dir, 'a', 'rt_tables.d', 'x.conf'), '101 beta\n');
      await writeFile(join(dir, 'a', 'rt_tables.d', 'ignored.txt'), '102 gamma\n');
      await writeFile(join(dir, 'b', 'rt_tables'), '200 alpha\n');
      const read = await readTableNames([join(dir, 'a'), join(dir, 'b'), join(dir, 'missing')]);
      assert.equal(read.get('main'), 254);
      assert.equal(read.get('default'), 253);
      assert.equal(read.get('alpha'), 200);
      assert.equal(read.get('beta'), 101);
      assert.equal(read.has('gamma'), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
