import assert from 'node:assert/strict';
import { NLMSG, RTM } from '../../src/netlink/constants.js';
import { errnoName, errnoText } from '../../src/netlink/errno.js';
import { NetlinkError, parseAck, splitMessages } from '../../src/netlink/message.js';
import { WireWriter } from '../../src/netlink/wire.js';
import { KERNEL_DATAGRAMS, unhex } from './fixtures/netlink-captured.js';

describe('netlink acks and errors', () => {
  it('decodes a capped EEXIST ack for RTM_NEWROUTE', () => {
    const [message] = splitMessages(unhex(KERNEL_DATAGRAMS.ackEexist));
    assert.equal(message.type, NLMSG.ERROR);
    assert.deepEqual(parseAck(message), { errno: 17, requestType: RTM.NEWROUTE });
  });

  it('decodes the extended ack message', () => {
    const [message] = splitMessages(unhex(KERNEL_DATAGRAMS.ackExtAck));
    assert.deepEqual(parseAck(message), { errno: 101, requestType: RTM.NEWROUTE, extAck: 'Nexthop has invalid gateway' });
  });

  it('decodes a success ack and an NLMSG_DONE carrying an error', () => {
    const ok = new WireWriter().message(NLMSG.ERROR, 0x100, 9, (w) => w.s32(0).message(RTM.NEWADDR, 5, 9, () => {})).finish();
    assert.deepEqual(parseAck(splitMessages(ok)[0]), { errno: 0, requestType: RTM.NEWADDR });
    const done = new WireWriter().message(NLMSG.DONE, 2, 9, (w) => w.s32(-16)).finish();
    assert.equal(parseAck(splitMessages(done)[0]).errno, 16);
  });

  it('skips an uncapped echoed request to reach the TLVs', () => {
    const datagram = new WireWriter()
      .message(NLMSG.ERROR, 0x200, 3, (w) =>
        w
          .s32(-22)
          .message(RTM.NEWRULE, 5, 3, (r) => r.u32(1).u32(2).u32(3))
          .attrString(1, 'Invalid table')
          .attrU32(2, 28),
      )
      .finish();
    assert.deepEqual(parseAck(splitMessages(datagram)[0]), {
      errno: 22,
      requestType: RTM.NEWRULE,
      extAck: 'Invalid table',
      extAckOffset: 28,
    });
  });

  it('words errors like ip does', () => {
    const eexist = new NetlinkError(RTM.NEWROUTE, 17);
    assert.equal(eexist.message, 'RTM_NEWROUTE: File exists (EEXIST)');
    assert.equal(eexist.code, 'EEXIST');
    assert.equal(eexist.errno, 17);
    assert.equal(eexist.request, 'RTM_NEWROUTE');
    assert.ok(eexist instanceof Error);
    const explained = new NetlinkError(RTM.NEWROUTE, 101, 'Nexthop has invalid gateway');
    assert.equal(explained.message, 'RTM_NEWROUTE: Network is unreachable (ENETUNREACH): Nexthop has invalid gateway');
    assert.equal(new NetlinkError(RTM.GETLINK, 19).message, 'RTM_GETLINK: No such device (ENODEV)');
  });

  it('names errnos, falling back for unknown ones', () => {
    assert.equal(errnoName(19), 'ENODEV');
    assert.equal(errnoText(1), 'Operation not permitted');
    assert.equal(errnoName(4000), 'E4000');
    assert.equal(errnoText(4000), 'Unknown error 4000');
    assert.match(errnoText(71), /^[A-Z]/);
  });
});
