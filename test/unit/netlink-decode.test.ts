// Decoding messages the kernel really sent (captured once, pinned in fixtures).
import assert from 'node:assert/strict';
import { formatIp, formatPrefix } from '../../src/net/ip.js';
import { IFF, NLM_F, NUD, RT_SCOPE, RTM, RTPROT } from '../../src/netlink/constants.js';
import { decodeAddress } from '../../src/netlink/address.js';
import { decodeEvent } from '../../src/netlink/events.js';
import { decodeLink } from '../../src/netlink/link.js';
import { splitMessages } from '../../src/netlink/message.js';
import { decodeNeighbour } from '../../src/netlink/neighbour.js';
import { decodeRoute, Route } from '../../src/netlink/route.js';
import { decodeRule, Rule } from '../../src/netlink/rule.js';
import { KERNEL_BODIES, KERNEL_DATAGRAMS, unhex } from './fixtures/netlink-captured.js';

function route(hex: string): Route {
  const r = decodeRoute(unhex(hex));
  assert.ok(r);
  return r;
}

function rule(hex: string): Rule {
  const r = decodeRule(unhex(hex));
  assert.ok(r);
  return r;
}

describe('netlink decoding of kernel messages', () => {
  it('decodes lo from RTM_NEWLINK', () => {
    const [message] = splitMessages(unhex(KERNEL_DATAGRAMS.linkLo));
    assert.equal(message.type, RTM.NEWLINK);
    const link = decodeLink(message.payload);
    assert.equal(link.index, 1);
    assert.equal(link.name, 'lo');
    assert.equal(link.type, 772);
    assert.equal(link.mtu, 1420);
    assert.equal(link.up, true);
    assert.ok(link.flags & IFF.LOOPBACK);
    assert.deepEqual(link.address, new Uint8Array(6));
  });

  it('decodes a route in a table above 255 from RTA_TABLE', () => {
    const r = route(KERNEL_BODIES.routeDevTable);
    assert.equal(formatPrefix(r.destination), '10.1.0.0/16');
    assert.equal(r.table, 51820);
    assert.equal(r.index, 1);
    assert.equal(r.scope, RT_SCOPE.LINK);
    assert.equal(r.protocol, RTPROT.BOOT);
    assert.equal(r.type, 'unicast');
    assert.equal(r.gateway, undefined);
  });

  it('decodes a blackhole route', () => {
    const r = route(KERNEL_BODIES.routeBlackhole);
    assert.equal(r.type, 'blackhole');
    assert.equal(r.index, undefined);
    assert.equal(formatPrefix(r.destination), '10.4.0.0/16');
  });

  it('decodes an IPv4 route via an IPv6 gateway (RTA_VIA)', () => {
    const r = route(KERNEL_BODIES.routeViaInet6);
    assert.equal(r.family, 4);
    assert.equal(r.table, 254);
    assert.equal(r.gateway?.family, 6);
    assert.equal(formatIp(r.gateway), 'fe80::1');
    assert.equal(r.index, 3);
  });

  it('decodes an ECMP route with weights and mixed-family gateways', () => {
    const r = route(KERNEL_BODIES.routeMultipath);
    assert.equal(r.gateway, undefined);
    assert.deepEqual(
      r.multipath?.map((h) => [h.gateway && formatIp(h.gateway), h.index, h.weight, h.flags]),
      [
        ['10.5.0.2', 3, 2, 0],
        ['fe80::2', 3, 1, 0],
      ],
    );
  });

  it('decodes an IPv6 route with metric and cache info', () => {
    const r = route(KERNEL_BODIES.routeV6Metric);
    assert.equal(formatPrefix(r.destination), 'fd01::/64');
    assert.equal(r.metric, 100);
    assert.equal(r.index, 3);
    assert.equal(r.scope, RT_SCOPE.UNIVERSE);
  });

  it('decodes a local route with its preferred source', () => {
    const r = route(KERNEL_BODIES.routeLocal);
    assert.equal(r.type, 'local');
    assert.equal(r.table, 255);
    assert.equal(r.scope, RT_SCOPE.HOST);
    assert.equal(formatPrefix(r.destination), '10.0.0.1/32');
    assert.equal(r.prefsrc && formatIp(r.prefsrc), '10.0.0.1');
  });

  it('decodes rules: priority 0 left out, suppress -1 meaning none', () => {
    const local = rule(KERNEL_BODIES.ruleLocal);
    assert.equal(local.priority, 0);
    assert.equal(local.table, 255);
    assert.equal(local.suppressPrefixLength, undefined);
    assert.equal(local.protocol, RTPROT.KERNEL);
  });

  it("decodes wg-quick's two rules", () => {
    const suppress = rule(KERNEL_BODIES.ruleSuppress);
    assert.deepEqual([suppress.priority, suppress.table, suppress.action, suppress.suppressPrefixLength, suppress.invert], [32764, 254, 'table', 0, false]);
    const notFwmark = rule(KERNEL_BODIES.ruleNotFwmark);
    assert.equal(notFwmark.invert, true);
    assert.equal(notFwmark.fwmark, 51820);
    assert.equal(notFwmark.fwmask, 0xffffffff);
    assert.equal(notFwmark.table, 51820);
    assert.equal(notFwmark.priority, 32765);
  });

  it('decodes a source rule and skips multicast-routing families', () => {
    const from = rule(KERNEL_BODIES.ruleV6From);
    assert.equal(from.family, 6);
    assert.equal(from.from && formatPrefix(from.from), 'fd00::/64');
    assert.equal(from.priority, 100);
    assert.equal(from.table, 200);
    assert.equal(decodeRule(unhex(KERNEL_BODIES.ruleIpmr)), undefined);
  });

  it('decodes a permanent neighbour with its MAC', () => {
    const n = decodeNeighbour(unhex(KERNEL_BODIES.neighbourPermanent));
    assert.ok(n);
    assert.equal(formatIp(n.destination), '10.5.0.2');
    assert.equal(n.index, 3);
    assert.equal(n.state, NUD.PERMANENT);
    assert.deepEqual(n.lladdr, Uint8Array.from([2, 0, 0, 0, 0, 1]));
  });

  it('decodes addresses with their label and IFA_FLAGS', () => {
    const v4 = decodeAddress(unhex(KERNEL_BODIES.addressV4));
    assert.ok(v4);
    assert.equal(formatPrefix(v4.address), '10.5.0.1/24');
    assert.equal(v4.label, 'nlcapa');
    assert.equal(v4.index, 3);
    const v6 = decodeAddress(unhex(KERNEL_BODIES.addressV6Nodad));
    assert.ok(v6);
    assert.equal(formatPrefix(v6.address), 'fd00::1/64');
    assert.equal(v6.flags, 0x82);
  });

  it('turns notifications into tagged events', () => {
    const payload = unhex(KERNEL_BODIES.routeDevTable);
    const event = decodeEvent({ type: RTM.DELROUTE, flags: 0, seq: 0, pid: 0, payload });
    assert.equal(event?.kind, 'route');
    assert.equal(event.action, 'delete');
    assert.equal(event.kind === 'route' && event.route.table, 51820);
    const ruleEvent = decodeEvent({ type: RTM.NEWRULE, flags: NLM_F.MULTI, seq: 0, pid: 0, payload: unhex(KERNEL_BODIES.ruleSuppress) });
    assert.equal(ruleEvent?.kind === 'rule' && ruleEvent.rule.suppressPrefixLength, 0);
    assert.equal(decodeEvent({ type: 99, flags: 0, seq: 0, pid: 0, payload: new Uint8Array(0) }), undefined);
  });

  it('rejects truncated headers', () => {
    assert.throws(() => decodeRoute(new Uint8Array(11)), /truncated rtmsg/);
    assert.throws(() => decodeRule(new Uint8Array(4)), /truncated fib_rule_hdr/);
    assert.throws(() => decodeLink(new Uint8Array(15)), /truncated ifinfomsg/);
  });
});
