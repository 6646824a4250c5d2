// `viaguard metrics`: devices in the Prometheus text exposition format (version 0.0.4), with the
// metric names and labels of prometheus_wireguard_exporter for what wg shows, so its dashboards
// and alerts work unchanged, plus viaguard's own counters from the get reply's extra keys (a
// daemon without them, such as wireguard-go, simply yields none). Pure.
import { keyToBase64 } from '../config/keys.js';
import type { DeviceSnapshot } from '../uapi/status.js';
import { endpointText, prefixTexts } from './inet-ntop.js';

type Labels = [name: string, value: string][];

interface Family {
  help: string;
  type: 'counter' | 'gauge';
  samples: { labels: Labels; value: number | bigint }[];
}

/** Label values escape backslash, double quote and newline (the exposition format's rule). */
function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A device counter key (get=1's extra keys) and the family and labels it belongs to. */
function deviceCounter(key: string): { family: string; help: string; labels: Labels } {
  let m = /^handshake_dropped_(\w+)$/.exec(key);
  if (m) return { family: 'viaguard_handshake_dropped_total', help: 'Handshake messages dropped by the protocol core, by reason', labels: [['reason', m[1]]] };
  m = /^dropped_(\w+)$/.exec(key);
  if (m) return { family: 'viaguard_dropped_packets_total', help: 'Packets dropped by the data plane, by reason', labels: [['reason', m[1]]] };
  m = /^handshake_(initiation|response)s_accepted$/.exec(key);
  if (m) return { family: 'viaguard_handshakes_accepted_total', help: 'Handshake initiations and responses accepted', labels: [['message', m[1]]] };
  return { family: `viaguard_${key}_total`, help: `The daemon's ${key} counter`, labels: [] };
}

/** Every family, in a stable order: wg's three, then viaguard's by name. */
export function formatMetrics(devices: readonly { name: string; device: DeviceSnapshot }[]): string {
  const families = new Map<string, Family>([
    ['wireguard_sent_bytes_total', { help: 'Bytes sent to the peer', type: 'counter', samples: [] }],
    ['wireguard_received_bytes_total', { help: 'Bytes received from the peer', type: 'counter', samples: [] }],
    ['wireguard_latest_handshake_seconds', { help: 'UNIX timestamp seconds of the last handshake', type: 'gauge', samples: [] }],
  ]);
  const add = (family: string, help: string, type: Family['type'], labels: Labels, value: number | bigint) => {
    let entry = families.get(family);
    if (!entry) families.set(family, (entry = { help, type, samples: [] }));
    entry.samples.push({ labels, value });
  };
  for (const { name, device } of devices) {
    for (const peer of device.peers) {
      const publicKey = keyToBase64(peer.publicKey);
      const labels: Labels = [
        ['interface', name],
        ['public_key', publicKey],
        ['allowed_ips', prefixTexts(peer.allowedIps).join(',')],
        ['endpoint', peer.endpoint ? endpointText(peer.endpoint) : ''],
      ];
      add('wireguard_sent_bytes_total', '', 'counter', labels, peer.txBytes);
      add('wireguard_received_bytes_total', '', 'counter', labels, peer.rxBytes);
      add('wireguard_latest_handshake_seconds', '', 'gauge', labels, peer.lastHandshakeTimeSec);
      const drops = peer.extra.find(([key]) => key === 'source_check_drops');
      if (drops) {
        add('viaguard_source_check_drops_total', 'Packets from the peer dropped by the source check', 'counter', [['interface', name], ['public_key', publicKey]], BigInt(drops[1]));
      }
    }
    for (const [key, value] of device.extra) {
      if (!/^[a-z][a-z0-9_]*$/.test(key) || !/^\d+$/.test(value)) continue;
      const { family, help, labels } = deviceCounter(key);
      add(family, help, 'counter', [['interface', name], ...labels], BigInt(value));
    }
  }
  const names = [...families.keys()];
  const ordered = [...names.filter((n) => n.startsWith('wireguard_')), ...names.filter((n) => !n.startsWith('wireguard_')).sort()];
  const lines: string[] = [];
  for (const name of ordered) {
    const { help, type, samples } = families.get(name)!;
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const { labels, value } of samples) {
      const text = labels.map(([label, v]) => `${label}="${labelValue(v)}"`).join(',');
      lines.push(`${name}${text ? `{${text}}` : ''} ${value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
