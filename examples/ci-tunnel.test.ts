// The README's recipe for CI on a privileged runner: a real WireGuard tunnel for your own tests,
// gone afterwards whatever happens (run mocha as root).
import assert from 'node:assert/strict';
import { withTunnel } from 'viaguard/testing';

describe('my service over WireGuard', function () {
  this.timeout(30_000);

  it('reaches the other end through the tunnel', async () => {
    await withTunnel(async ({ left, right }) => {
      const out = await left.ns.exec('ping', ['-c', '1', '-W', '5', right.tunnel4]);
      assert.match(out, /1 received/);
      const show = await left.ns.exec('wg', ['show', left.ifname, 'latest-handshakes']);
      assert.notEqual(show.trim().split('\t')[1], '0');
    });
  });
});
