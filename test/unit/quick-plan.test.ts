import assert from 'node:assert/strict';
import { formatPrefix, parsePrefix, type IpPrefix } from '../../src/net/ip.js';
import type { Rule } from '../../src/netlink/rule.js';
import { automaticMtu, fullTunnelRules, fullTunnelRulesToRemove, fullTunnelTable, planRoutes, prefixContains, ruleCommand, ruleSelector } from '../../src/quick/plan.js';

const p = (text: string): IpPrefix => parsePrefix(text)!;
const texts = (prefixes: IpPrefix[]) => prefixes.map(formatPrefix);

function rule(fields: Partial<Rule> & Pick<Rule, 'family' | 'priority' | 'table'>): Rule {
  return { invert: false, action: 'table', flags: 0, ...fields };
}

describe('quick: planning routes, rules and the MTU', () => {
  describe('planRoutes', () => {
    const allowed = ['10.0.0.2/32', '10.1.0.0/16', '0.0.0.0/0', 'fd00::/64', '::/0', '10.1.2.3/16', '10.0.0.2/32'].map(p);

    it('Table auto: masked, once each, most specific first, /0 set aside for the full tunnel', () => {
      const plan = planRoutes(allowed, { kind: 'auto' });
      assert.deepEqual(
        plan.routes.map((r) => [formatPrefix(r.destination), r.table, r.unlessCovered]),
        [
          ['fd00::/64', 254, true],
          ['10.0.0.2/32', 254, true],
          ['10.1.0.0/16', 254, true],
        ],
      );
      assert.deepEqual(texts(plan.fullTunnel), ['0.0.0.0/0', '::/0']);
    });

    it('a numbered table takes every prefix, default routes included, without a full tunnel', () => {
      const plan = planRoutes(allowed, { kind: 'table', id: 1234 });
      assert.deepEqual(texts(plan.routes.map((r) => r.destination)), ['fd00::/64', '10.0.0.2/32', '10.1.0.0/16', '0.0.0.0/0', '::/0']);
      assert.ok(plan.routes.every((r) => r.table === 1234 && !r.unlessCovered));
      assert.deepEqual(plan.fullTunnel, []);
    });

    it('Table off: nothing', () => {
      assert.deepEqual(planRoutes(allowed, { kind: 'off' }), { routes: [], fullTunnel: [] });
    });
  });

  it('prefixContains: family, length and leading bits', () => {
    assert.equal(prefixContains(p('10.0.0.0/24'), p('10.0.0.2/32')), true);
    assert.equal(prefixContains(p('10.0.0.0/24'), p('10.0.0.0/24')), true);
    assert.equal(prefixContains(p('10.0.0.0/24'), p('10.0.0.0/16')), false);
    assert.equal(prefixContains(p('10.0.1.0/24'), p('10.0.0.2/32')), false);
    assert.equal(prefixContains(p('0.0.0.0/0'), p('192.0.2.1/32')), true);
    assert.equal(prefixContains(p('::/0'), p('192.0.2.1/32')), false);
    assert.equal(prefixContains(p('fd00::/63'), p('fd00:0:0:1::/64')), true);
    assert.equal(prefixContains(p('fd00::/64'), p('fd00:0:0:1::/64')), false);
  });

  it('fullTunnelTable: the fwmark when set, else the first table from 51820 without routes', async () => {
    const used = new Set([51820, 51821, 51823]);
    const probed: number[] = [];
    const inUse = async (table: number) => {
      probed.push(table);
      return used.has(table);
    };
    assert.equal(await fullTunnelTable(undefined, inUse), 51822);
    assert.deepEqual(probed, [51820, 51821, 51822]);
    assert.equal(await fullTunnelTable(0, inUse), 51822);
    probed.length = 0;
    assert.equal(await fullTunnelTable(4242, inUse), 4242);
    assert.deepEqual(probed, []);
  });

  it('fullTunnelRules: not fwmark T lookup T, then main with suppress_prefixlength 0', () => {
    assert.deepEqual(fullTunnelRules(6, 51820), [
      { family: 6, invert: true, fwmark: 51820, table: 51820 },
      { family: 6, table: 254, suppressPrefixLength: 0 },
    ]);
  });

  it('ruleCommand and ruleSelector: progress lines and exact deletion', () => {
    const [not, suppress] = fullTunnelRules(4, 51820);
    assert.equal(ruleCommand('add', not), 'ip -4 rule add not fwmark 51820 table 51820');
    assert.equal(ruleCommand('add', suppress), 'ip -4 rule add table main suppress_prefixlength 0');
    const decoded = rule({ family: 6, priority: 32764, table: 254, suppressPrefixLength: 0 });
    assert.deepEqual(ruleSelector(decoded), { family: 6, priority: 32764, table: 254, invert: false, suppressPrefixLength: 0 });
    assert.equal(ruleCommand('delete', ruleSelector(decoded)), 'ip -6 rule delete priority 32764 table main suppress_prefixlength 0');
  });

  describe('fullTunnelRulesToRemove', () => {
    const rules: Rule[] = [
      rule({ family: 4, priority: 0, table: 255 }),
      rule({ family: 4, priority: 32762, table: 254, suppressPrefixLength: 0 }),
      rule({ family: 4, priority: 32763, table: 51821, invert: true, fwmark: 51821 }),
      rule({ family: 4, priority: 32764, table: 254, suppressPrefixLength: 0 }),
      rule({ family: 4, priority: 32765, table: 51820, invert: true, fwmark: 51820 }),
      rule({ family: 4, priority: 32766, table: 254 }),
      rule({ family: 6, priority: 32765, table: 51820, invert: true, fwmark: 51820 }),
      rule({ family: 6, priority: 32766, table: 254 }),
    ];

    it('every rule of the table and one suppress_prefixlength rule, leaving another tunnel\'s pair', () => {
      assert.deepEqual(
        fullTunnelRulesToRemove(rules, 4, 51820).map((r) => r.priority),
        [32765, 32762],
      );
      const remaining = rules.filter((r) => r.family === 4 && ![32765, 32762].includes(r.priority));
      assert.deepEqual(
        fullTunnelRulesToRemove(remaining, 4, 51821).map((r) => r.priority),
        [32763, 32764],
      );
    });

    it('a family without the table\'s rules loses nothing; one without a suppress rule only its own', () => {
      assert.deepEqual(fullTunnelRulesToRemove(rules, 4, 51899), []);
      assert.deepEqual(
        fullTunnelRulesToRemove(rules, 6, 51820).map((r) => r.priority),
        [32765],
      );
    });
  });

  describe('automaticMtu', () => {
    it('the smallest endpoint path MTU minus 80', () => {
      assert.equal(automaticMtu([1500, 1400, 9000]), 1320);
    });

    it('else the default route\'s, else 1500', () => {
      assert.equal(automaticMtu([], 9000), 8920);
      assert.equal(automaticMtu([0], undefined), 1420);
      assert.equal(automaticMtu([], undefined), 1420);
    });
  });
});
