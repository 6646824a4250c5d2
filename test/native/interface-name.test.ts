import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { interfaceName } from '../../src/net/interface-name.js';
import { loadNative } from '../../src/native/loader.js';

describe('interfaceName (if_indextoname)', () => {
  it('names the interfaces of this namespace by index, and none for an unused index', () => {
    assert.equal(interfaceName(Number(readFileSync('/sys/class/net/lo/ifindex', 'utf8'))), 'lo');
    assert.equal(interfaceName(0x7ffffff0), undefined);
  });

  it('refuses what is not an interface index, in TypeScript and in C++', () => {
    for (const bad of [0, -1, 1.5, 2 ** 32, Number.NaN]) assert.throws(() => interfaceName(bad), RangeError, String(bad));
    assert.throws(() => interfaceName('1' as unknown as number), TypeError);
    const native = loadNative();
    assert.throws(() => native.interfaceName('lo' as unknown as number), TypeError);
    assert.throws(() => native.interfaceName(0), RangeError);
    assert.throws(() => native.interfaceName(1.5), RangeError);
  });
});
