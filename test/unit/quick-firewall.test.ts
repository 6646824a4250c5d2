import assert from 'node:assert/strict';
import { parseIp, type IpAddress } from '../../src/net/ip.js';
import { deleteTablesScript, firewallScript, firewallTableName, firewallTablesIn, nftFamily } from '../../src/quick/firewall.js';

const ip = (text: string): IpAddress => parseIp(text)!;

describe('quick: the nftables firewall of a full tunnel', () => {
  describe('firewallTableName', () => {
    it('is wg-quick-IFACE for names nft accepts as identifiers', () => {
      assert.equal(firewallTableName('wg0'), 'wg-quick-wg0');
      assert.equal(firewallTableName('a.b_c-9'), 'wg-quick-a.b_c-9');
      assert.equal(firewallTableName('0'), 'wg-quick-0');
    });

    it('is undefined for interface names with = or +, which no nft table name can hold', () => {
      assert.equal(firewallTableName('wg=0'), undefined);
      assert.equal(firewallTableName('wg+0'), undefined);
    });
  });

  it('nftFamily: ip for IPv4, ip6 for IPv6', () => {
    assert.equal(nftFamily(4), 'ip');
    assert.equal(nftFamily(6), 'ip6');
  });

  describe('firewallScript', () => {
    it('IPv4: wg-quick\'s table, chains and rules, replacing a stale table in the same transaction', () => {
      assert.equal(
        firewallScript('wg-quick-wg0', 'wg0', 4, [ip('10.65.0.1'), ip('10.66.0.1')], 51820),
        [
          'add table ip wg-quick-wg0',
          'delete table ip wg-quick-wg0',
          'add table ip wg-quick-wg0',
          'add chain ip wg-quick-wg0 preraw { type filter hook prerouting priority -300; }',
          'add chain ip wg-quick-wg0 premangle { type filter hook prerouting priority -150; }',
          'add chain ip wg-quick-wg0 postmangle { type filter hook postrouting priority -150; }',
          'add rule ip wg-quick-wg0 preraw iifname != "wg0" ip daddr 10.65.0.1 fib saddr type != local drop',
          'add rule ip wg-quick-wg0 preraw iifname != "wg0" ip daddr 10.66.0.1 fib saddr type != local drop',
          'add rule ip wg-quick-wg0 postmangle meta l4proto udp mark 51820 ct mark set mark',
          'add rule ip wg-quick-wg0 premangle meta l4proto udp meta mark set ct mark',
          '',
        ].join('\n'),
      );
    });

    it('IPv6 uses the ip6 family and ip6 daddr; the fwmark is the given one, in decimal', () => {
      const script = firewallScript('wg-quick-t1', 't1', 6, [ip('fd65::1'), ip('fe80::1')], 0xca6d);
      const rules = script.split('\n').filter((line) => line.startsWith('add rule'));
      assert.deepEqual(rules, [
        'add rule ip6 wg-quick-t1 preraw iifname != "t1" ip6 daddr fd65::1 fib saddr type != local drop',
        'add rule ip6 wg-quick-t1 preraw iifname != "t1" ip6 daddr fe80::1 fib saddr type != local drop',
        'add rule ip6 wg-quick-t1 postmangle meta l4proto udp mark 51821 ct mark set mark',
        'add rule ip6 wg-quick-t1 premangle meta l4proto udp meta mark set ct mark',
      ]);
      assert.ok(script.startsWith('add table ip6 wg-quick-t1\n'));
    });

    it('without addresses: the CONNMARK rules only', () => {
      const script = firewallScript('wg-quick-wg0', 'wg0', 4, [], 51820);
      assert.doesNotMatch(script, /preraw iifname/);
      assert.match(script, /postmangle meta l4proto udp mark 51820 ct mark set mark\n/);
    });

    it('refuses an address of the other family', () => {
      assert.throws(() => firewallScript('wg-quick-wg0', 'wg0', 4, [ip('fd00::1')], 51820), { name: 'RangeError', message: 'fd00::1 is not an IPv4 address' });
    });
  });

  describe('firewallTablesIn', () => {
    const listing = ['table inet filter', 'table ip wg-quick-wg0', 'table ip6 wg-quick-wg0', 'table ip wg-quick-wg01', 'table ip nat-wg-quick-wg0', ''].join('\n');

    it('finds the tables named after the interface, in every family, and no other', () => {
      assert.deepEqual(firewallTablesIn(listing, 'wg0'), ['ip wg-quick-wg0', 'ip6 wg-quick-wg0']);
      assert.deepEqual(firewallTablesIn(listing, 'wg01'), ['ip wg-quick-wg01']);
      assert.deepEqual(firewallTablesIn(listing, 'wg1'), []);
      assert.deepEqual(firewallTablesIn('', 'wg0'), []);
    });

    it('finds nothing for a name no table can have', () => {
      assert.deepEqual(firewallTablesIn('table ip wg-quick-a=b\n', 'a=b'), []);
    });
  });

  it('deleteTablesScript deletes each table on its own line', () => {
    assert.equal(deleteTablesScript(['ip wg-quick-wg0', 'ip6 wg-quick-wg0']), 'delete table ip wg-quick-wg0\ndelete table ip6 wg-quick-wg0\n');
    assert.equal(deleteTablesScript([]), '');
  });
});
