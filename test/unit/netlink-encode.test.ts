// Requests must match, byte for byte, what iproute2 sends for the same command.
import assert from 'node:assert/strict';
import { parseIp, parsePrefix, IpAddress, IpPrefix } from '../../src/net/ip.js';
import { NLM_F, RTM } from '../../src/netlink/constants.js';
import { addressBody } from '../../src/netlink/address.js';
import { linkSetBody } from '../../src/netlink/link.js';
import { neighbourBody } from '../../src/netlink/neighbour.js';
import { routeBody } from '../../src/netlink/route.js';
import { ruleBody } from '../../src/netlink/rule.js';
import { WireWriter } from '../../src/netlink/wire.js';
import { IP_REQUESTS } from './fixtures/netlink-captured.js';

const SEQ = 0x6b075cb8;
const NEW = NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL;
const LO = 1;
const VETH = 3;

function encode(type: number, flags: number, body: (w: WireWriter) => void): string {
  return Buffer.from(new WireWriter().message(type, flags, SEQ, body).finish()).toString('hex');
}

const prefix = (s: string): IpPrefix => parsePrefix(s) as IpPrefix;
const ip = (s: string): IpAddress => parseIp(s) as IpAddress;

describe('netlink requests (as iproute2 encodes them)', () => {
  it('ip -4 address add 10.0.0.1/24 dev lo', () => {
    assert.equal(encode(RTM.NEWADDR, NEW, addressBody({ index: LO, address: prefix('10.0.0.1/24') })), IP_REQUESTS.addressAddV4);
  });

  it('ip -6 address add fd00::1/64 dev lo nodad', () => {
    const body = addressBody({ index: LO, address: prefix('fd00::1/64'), nodad: true });
    assert.equal(encode(RTM.NEWADDR, NEW, body), IP_REQUESTS.addressAddV6Nodad);
  });

  it('ip link set mtu 1420 up dev lo', () => {
    const body = linkSetBody(LO, { mtu: 1420, up: true });
    assert.equal(encode(RTM.NEWLINK, NLM_F.REQUEST | NLM_F.ACK, body), IP_REQUESTS.linkMtuUp);
  });

  it('ip -4 route add 10.1.0.0/16 dev lo table 51820', () => {
    const body = routeBody({ destination: prefix('10.1.0.0/16'), index: LO, table: 51820 }, true);
    assert.equal(encode(RTM.NEWROUTE, NEW, body), IP_REQUESTS.routeDevTable);
  });

  it('ip -4 rule add not fwmark 51820 table 51820', () => {
    const body = ruleBody({ family: 4, invert: true, fwmark: 51820, table: 51820 }, true);
    assert.equal(encode(RTM.NEWRULE, NEW, body), IP_REQUESTS.ruleNotFwmark);
  });

  it('ip -4 rule add table main suppress_prefixlength 0', () => {
    const body = ruleBody({ family: 4, table: 254, suppressPrefixLength: 0 }, true);
    assert.equal(encode(RTM.NEWRULE, NEW, body), IP_REQUESTS.ruleSuppress);
  });

  it('ip route add 10.2.0.0/16 via inet6 fe80::1 dev X', () => {
    const body = routeBody({ destination: prefix('10.2.0.0/16'), gateway: ip('fe80::1'), index: VETH }, true);
    assert.equal(encode(RTM.NEWROUTE, NEW, body), IP_REQUESTS.routeViaInet6);
  });

  it('ip -6 route add fd01::/64 dev X metric 100', () => {
    const body = routeBody({ destination: prefix('fd01::/64'), index: VETH, metric: 100 }, true);
    assert.equal(encode(RTM.NEWROUTE, NEW, body), IP_REQUESTS.routeV6Metric);
  });

  it('ip route add 10.3.0.0/16 nexthop via 10.5.0.2 dev X weight 2 nexthop via inet6 fe80::2 dev X', () => {
    const body = routeBody(
      {
        destination: prefix('10.3.0.0/16'),
        multipath: [
          { gateway: ip('10.5.0.2'), index: VETH, weight: 2 },
          { gateway: ip('fe80::2'), index: VETH },
        ],
      },
      true,
    );
    assert.equal(encode(RTM.NEWROUTE, NEW, body), IP_REQUESTS.routeMultipath);
  });

  it('ip route add blackhole 10.4.0.0/16 table 51820', () => {
    const body = routeBody({ destination: prefix('10.4.0.0/16'), type: 'blackhole', table: 51820 }, true);
    assert.equal(encode(RTM.NEWROUTE, NEW, body), IP_REQUESTS.routeBlackhole);
  });

  it('ip -6 rule add from fd00::/64 priority 100 table 200', () => {
    const body = ruleBody({ family: 6, from: prefix('fd00::/64'), priority: 100, table: 200 }, true);
    assert.equal(encode(RTM.NEWRULE, NEW, body), IP_REQUESTS.ruleV6From);
  });

  it('ip neigh add 10.5.0.2 lladdr 02:00:00:00:00:01 dev X', () => {
    const body = neighbourBody({ index: VETH, destination: ip('10.5.0.2'), lladdr: Uint8Array.from([2, 0, 0, 0, 0, 1]) }, true);
    assert.equal(encode(RTM.NEWNEIGH, NEW, body), IP_REQUESTS.neighbourAdd);
  });

  it('leaves unset fields zero when deleting, so the kernel matches any value', () => {
    const body = routeBody({ destination: prefix('10.1.0.0/16'), table: 51820 }, false);
    // family, dst_len 16, table 0 (in RTA_TABLE), protocol 0, scope NOWHERE, type 0
    assert.equal(encode(RTM.DELROUTE, NLM_F.REQUEST | NLM_F.ACK, body).slice(32, 56), '021000000000ff0000000000');
  });

  it('rejects mixed families and bad weights', () => {
    assert.throws(() => ruleBody({ family: 4, from: prefix('fd00::/8') }, true), /rule from is IPv6, expected IPv4/);
    assert.throws(() => routeBody({ destination: prefix('10.0.0.0/8'), source: prefix('fd00::/8') }, true), RangeError);
    assert.throws(() => routeBody({ destination: prefix('10.0.0.0/8'), multipath: [{ index: 1, weight: 0 }] }, true), /weight must be 1..256/);
  });

  it('rejects malformed addresses, prefixes and out-of-range integers with a clear error', () => {
    const bad4 = { family: 4 as const, bytes: new Uint8Array(16), cidr: 8 };
    assert.throws(() => addressBody({ index: 1, address: bad4 }), /address has 16 bytes for IPv4/);
    assert.throws(() => addressBody({ index: 1, address: { ...prefix('10.0.0.0/8'), cidr: 33 } }), /prefix length 33, expected 0..32/);
    assert.throws(() => routeBody({ destination: prefix('10.0.0.0/8'), gateway: { family: 5 } as unknown as IpAddress }, true), TypeError);
    assert.throws(() => routeBody({ destination: prefix('10.0.0.0/8'), type: 'bogus' as never }, true), /unknown route type bogus/);
    assert.throws(() => ruleBody({ family: 5 as never }, true), /rule family must be 4 or 6/);
    assert.throws(() => neighbourBody({ index: 1, destination: ip('10.0.0.1'), lladdr: new Uint8Array(0) }, true), /lladdr must be/);
    assert.throws(() => encode(RTM.NEWROUTE, NEW, routeBody({ destination: prefix('10.0.0.0/8'), metric: 2 ** 32 }, true)), /4294967296 is not a valid u32/);
    assert.throws(() => encode(RTM.NEWROUTE, NEW, routeBody({ destination: prefix('10.0.0.0/8'), protocol: 256 }, true)), /not a valid u8/);
    assert.throws(() => encode(RTM.NEWLINK, NEW, linkSetBody(-1.5, {})), /not a valid s32/);
  });
});
