// Request bodies share their layout with the kernel's replies, so what is encoded must decode
// to the same fields: this covers the attributes the captured fixtures do not.
import assert from 'node:assert/strict';
import { formatIp, formatPrefix, IpAddress, IpPrefix, parseIp, parsePrefix } from '../../src/net/ip.js';
import { RTNH_F } from '../../src/netlink/constants.js';
import { decodeNeighbour, neighbourBody } from '../../src/netlink/neighbour.js';
import { decodeRoute, routeBody } from '../../src/netlink/route.js';
import { decodeRule, ruleBody } from '../../src/netlink/rule.js';
import { WireWriter } from '../../src/netlink/wire.js';

const prefix = (s: string): IpPrefix => parsePrefix(s) as IpPrefix;
const ip = (s: string): IpAddress => parseIp(s) as IpAddress;

function body(write: (w: WireWriter) => void): Uint8Array {
  const w = new WireWriter();
  write(w);
  return w.finish();
}

describe('netlink encode/decode round trips', () => {
  it('keeps every rule selector', () => {
    const rule = decodeRule(
      body(
        ruleBody(
          {
            family: 6,
            priority: 7,
            from: prefix('fd00::/8'),
            to: prefix('2001:db8::/32'),
            fwmark: 0x100,
            fwmask: 0xff00,
            iifname: 'wg0',
            oifname: 'eth0',
            invert: true,
            table: 1000,
            suppressPrefixLength: 0,
            uidRange: { start: 1000, end: 1999 },
            protocol: 4,
          },
          true,
        ),
      ),
    );
    assert.ok(rule);
    assert.deepEqual(
      {
        ...rule,
        from: rule.from && formatPrefix(rule.from),
        to: rule.to && formatPrefix(rule.to),
      },
      {
        family: 6,
        priority: 7,
        from: 'fd00::/8',
        to: '2001:db8::/32',
        fwmark: 0x100,
        fwmask: 0xff00,
        iifname: 'wg0',
        oifname: 'eth0',
        invert: true,
        table: 1000,
        action: 'table',
        suppressPrefixLength: 0,
        uidRange: { start: 1000, end: 1999 },
        protocol: 4,
        flags: 2,
      },
    );
  });

  it('keeps route source, prefsrc, mtu, type and onlink', () => {
    const route = decodeRoute(
      body(
        routeBody(
          {
            destination: prefix('2001:db8::/48'),
            source: prefix('fd00::/64'),
            prefsrc: ip('fd00::1'),
            gateway: ip('fe80::1'),
            index: 4,
            table: 10,
            metric: 1024,
            protocol: 42,
            mtu: 1280,
            nexthopFlags: RTNH_F.ONLINK,
          },
          true,
        ),
      ),
    );
    assert.ok(route);
    assert.equal(formatPrefix(route.destination), '2001:db8::/48');
    assert.equal(route.source && formatPrefix(route.source), 'fd00::/64');
    assert.equal(route.prefsrc && formatIp(route.prefsrc), 'fd00::1');
    assert.equal(route.gateway && formatIp(route.gateway), 'fe80::1');
    assert.deepEqual([route.index, route.table, route.metric, route.protocol, route.mtu, route.flags], [4, 10, 1024, 42, 1280, RTNH_F.ONLINK]);
    assert.equal(route.type, 'unicast');
    const unreachable = decodeRoute(body(routeBody({ destination: prefix('::/0'), type: 'unreachable' }, true)));
    assert.deepEqual([unreachable?.type, unreachable?.destination.cidr, unreachable?.table], ['unreachable', 0, 254]);
  });

  it('keeps an IPv6 neighbour with router flag and state', () => {
    const n = decodeNeighbour(
      body(neighbourBody({ index: 2, destination: ip('fe80::2'), lladdr: Uint8Array.from([2, 1, 2, 3, 4, 5]), state: 0x02, flags: 0x80 }, true)),
    );
    assert.ok(n);
    assert.deepEqual([formatIp(n.destination), n.state, n.flags, n.index], ['fe80::2', 0x02, 0x80, 2]);
  });
});
