import assert from 'node:assert/strict';
import type { DeviceEngine } from '../../src/device/engine.js';
import { logDrops } from '../../src/device/drop-log.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('drop log', () => {
  it('summarises the drop counters that grew, once per interval, with their reasons', async () => {
    const counters: Record<string, number> = { droppedUnknownMac: 0, neighbourUnanswered: 2, dataPacketsSent: 0 };
    const device = { closed: false, counters: () => ({ ...counters }) } as unknown as DeviceEngine;
    const lines: string[] = [];
    const dropLog = logDrops(device, { verbose: (m) => lines.push(m), error: (m) => lines.push(m) }, 40);
    try {
      await sleep(150);
      assert.deepEqual(lines, [], 'nothing grew, nothing logged');
      counters.droppedUnknownMac += 3;
      counters.neighbourUnanswered += 1;
      counters.dataPacketsSent += 100;
      for (const deadline = Date.now() + 2000; lines.length === 0 && Date.now() < deadline; ) await sleep(10);
      assert.equal(lines.length, 1);
      assert.match(lines[0], /3 × frame to a MAC that stands for no peer \(droppedUnknownMac\)/);
      assert.match(lines[0], /1 × ARP\/NDP for an address no peer owns/);
      assert.doesNotMatch(lines[0], /dataPacketsSent/);
      await sleep(150);
      assert.equal(lines.length, 1, 'no growth since: no new line');
    } finally {
      dropLog.close();
    }
  });
});
