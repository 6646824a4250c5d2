import assert from 'node:assert/strict';
import { requireTools } from '../../src/testing/require-tools.js';

describe('requireTools', () => {
  it('passes when every tool is on PATH', () => {
    requireTools('sh');
  });

  it('names every missing tool and the package that brings it, at once', () => {
    assert.throws(() => requireTools('sh', 'tcpdump-not-here', 'babeld-not-here'), /^Error: missing tools: tcpdump-not-here, babeld-not-here \(install: sudo apt-get install tcpdump-not-here babeld-not-here/);
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      assert.throws(() => requireTools('tcpdump', 'nft'), /missing tools: tcpdump, nft \(install: sudo apt-get install tcpdump nftables, or sudo scripts\/system-packages\.sh --install\)/);
    } finally {
      process.env.PATH = saved;
    }
  });
});
