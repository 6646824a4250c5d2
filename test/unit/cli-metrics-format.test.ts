import assert from 'node:assert/strict';
import { keyFromHex, keyToBase64 } from '../../src/config/keys.js';
import { formatMetrics } from '../../src/cli/metrics-format.js';
import { parseGetResponse } from '../../src/uapi/status.js';

const A = '11'.repeat(32);
const B = '22'.repeat(32);
const b64 = (hex: string) => keyToBase64(keyFromHex(hex)!);

const peerLines = (key: string, rest: string[]) => [`public_key=${key}`, 'last_handshake_time_sec=0', 'last_handshake_time_nsec=0', ...rest, 'persistent_keepalive_interval=0'];

describe('viaguard metrics: the Prometheus text format', () => {
  const viaguardd = parseGetResponse([
    'listen_port=51820',
    'source_check=route',
    'peer_selection=allowed-ips',
    'dropped_garbage=12',
    'dropped_replayed=3',
    'handshake_initiations_accepted=2',
    'handshake_responses_accepted=1',
    'cookie_replies_sent=4',
    'handshake_dropped_invalid_mac1=9',
    'data_packets_sent=100',
    ...peerLines(A, ['tx_bytes=4669', 'rx_bytes=18446744073709551615', 'allowed_ip=10.0.0.2/32', 'allowed_ip=fd00::2/128', 'source_check_drops=7']),
    `public_key=${B}`,
    'endpoint=[2001:db8::1]:51820',
    'last_handshake_time_sec=1800000000',
    'last_handshake_time_nsec=5',
    'tx_bytes=0',
    'rx_bytes=0',
    'persistent_keepalive_interval=25',
    'source_check_drops=0',
    'errno=0',
  ]);
  const wireguardGo = parseGetResponse(['listen_port=51821', ...peerLines(A, ['endpoint=192.0.2.1:51820', 'tx_bytes=1', 'rx_bytes=2', 'allowed_ip=0.0.0.0/0']), 'errno=0']);

  it('has prometheus_wireguard_exporter\'s names and labels per peer, counters exact beyond 2^53', () => {
    const text = formatMetrics([{ name: 'wg0', device: viaguardd }]);
    const lines = text.split('\n');
    assert.deepEqual(lines.slice(0, 5), [
      '# HELP wireguard_sent_bytes_total Bytes sent to the peer',
      '# TYPE wireguard_sent_bytes_total counter',
      `wireguard_sent_bytes_total{interface="wg0",public_key="${b64(A)}",allowed_ips="10.0.0.2/32,fd00::2/128",endpoint=""} 4669`,
      `wireguard_sent_bytes_total{interface="wg0",public_key="${b64(B)}",allowed_ips="",endpoint="[2001:db8::1]:51820"} 0`,
      '# HELP wireguard_received_bytes_total Bytes received from the peer',
    ]);
    assert.ok(lines.includes(`wireguard_received_bytes_total{interface="wg0",public_key="${b64(A)}",allowed_ips="10.0.0.2/32,fd00::2/128",endpoint=""} 18446744073709551615`));
    assert.ok(lines.includes('# TYPE wireguard_latest_handshake_seconds gauge'));
    assert.ok(lines.includes(`wireguard_latest_handshake_seconds{interface="wg0",public_key="${b64(B)}",allowed_ips="",endpoint="[2001:db8::1]:51820"} 1800000000`));
    assert.ok(text.endsWith('\n'));
  });

  it('adds viaguard\'s counters: drops by reason, handshakes, cookie replies, source-check drops per peer', () => {
    const lines = formatMetrics([{ name: 'wg0', device: viaguardd }]).split('\n');
    for (const line of [
      '# TYPE viaguard_dropped_packets_total counter',
      'viaguard_dropped_packets_total{interface="wg0",reason="garbage"} 12',
      'viaguard_dropped_packets_total{interface="wg0",reason="replayed"} 3',
      'viaguard_handshakes_accepted_total{interface="wg0",message="initiation"} 2',
      'viaguard_handshakes_accepted_total{interface="wg0",message="response"} 1',
      'viaguard_cookie_replies_sent_total{interface="wg0"} 4',
      'viaguard_handshake_dropped_total{interface="wg0",reason="invalid_mac1"} 9',
      'viaguard_data_packets_sent_total{interface="wg0"} 100',
      `viaguard_source_check_drops_total{interface="wg0",public_key="${b64(A)}"} 7`,
      `viaguard_source_check_drops_total{interface="wg0",public_key="${b64(B)}"} 0`,
    ]) {
      assert.ok(lines.includes(line), `${line}\nmissing from:\n${lines.join('\n')}`);
    }
    // Every family is announced once, before its samples; every sample parses.
    const families = lines.filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
    assert.equal(new Set(families).size, families.length);
    for (const l of lines.filter((l) => l && !l.startsWith('#'))) assert.match(l, /^[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)+\})? \d+$/);
  });

  it('merges interfaces into one family each; wireguard-go yields wg\'s metrics only; labels are escaped', () => {
    const text = formatMetrics([
      { name: 'wg0', device: viaguardd },
      { name: 'wg1', device: wireguardGo },
    ]);
    assert.equal(text.split('\n').filter((l) => l === '# TYPE wireguard_sent_bytes_total counter').length, 1);
    assert.ok(text.includes(`wireguard_sent_bytes_total{interface="wg1",public_key="${b64(A)}",allowed_ips="0.0.0.0/0",endpoint="192.0.2.1:51820"} 1\n`));
    const only = formatMetrics([{ name: 'wg1', device: wireguardGo }]);
    assert.doesNotMatch(only, /viaguard_/);
    assert.match(formatMetrics([{ name: 'a"b\\c', device: wireguardGo }]), /interface="a\\"b\\\\c"/);
  });

  it('with no interface, announces wg\'s families and no samples', () => {
    assert.equal(formatMetrics([]).split('\n').filter((l) => l && !l.startsWith('#')).length, 0);
  });
});
