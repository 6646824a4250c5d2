import assert from 'node:assert/strict';
import { loadNative } from '../../src/native/loader.js';

describe('native addon', () => {
  it('loads', () => {
    assert.equal(typeof loadNative(), 'object');
  });
});
