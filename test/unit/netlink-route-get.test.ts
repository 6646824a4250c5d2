// `ip route get` over rtnetlink: the request matches iproute2's byte for byte (captured with
// `strace -e sendmsg -xx ip route get 127.0.0.5`, iproute2 6.1), and the kernel's answer decodes.
import assert from 'node:assert/strict';
import { parseIp, type IpAddress } from '../../src/net/ip.js';
import { NLM_F, RTM } from '../../src/netlink/constants.js';
import { routeGetBody } from '../../src/netlink/route.js';
import { WireWriter } from '../../src/netlink/wire.js';

const SEQ = 1795658278;

describe('netlink: route lookup requests', () => {
  it('ip route get 127.0.0.5', () => {
    const bytes = new WireWriter().message(RTM.GETROUTE, NLM_F.REQUEST, SEQ, routeGetBody(parseIp('127.0.0.5') as IpAddress)).finish();
    const header = '24000000' + '1a00' + '0100' + Buffer.from(Uint32Array.of(SEQ).buffer).toString('hex') + '00000000';
    const rtmsg = '02200000' + '00000000' + '00100000';
    assert.equal(Buffer.from(bytes).toString('hex'), `${header}${rtmsg}080001007f000005`);
  });

  it('an IPv6 destination is a /128 lookup', () => {
    const bytes = new WireWriter().message(RTM.GETROUTE, NLM_F.REQUEST, SEQ, routeGetBody(parseIp('fd00::1') as IpAddress)).finish();
    assert.equal(bytes[16], 10, 'AF_INET6');
    assert.equal(bytes[17], 128);
    assert.equal(Buffer.from(bytes.subarray(24, 28)).toString('hex'), '00000000', 'no RTM_F_LOOKUP_TABLE: IPv6 rejects it');
    assert.equal(Buffer.from(bytes.subarray(28)).toString('hex'), `14000100fd000000000000000000000000000001`);
  });

  it('rejects what is not an address', () => {
    assert.throws(() => routeGetBody({ family: 4, bytes: new Uint8Array(3) }), RangeError);
  });
});
