// A watch event (watch.ts) as the JSON object `viaguard watch` prints and the API emits: keys in
// base64 as wg prints them, counts as numbers, listed prefixes as arrays, the time as an integer
// (schemas/watch-event.schema.json, shipped in the package).
import { keyFromHex, keyToBase64 } from '../config/keys.js';
import type { WatchEvent } from './watch.js';

export type WatchEventName = 'peer_added' | 'peer_changed' | 'peer_removed' | 'allowed_ips' | 'endpoint' | 'session' | 'handshake_failed' | 'resync';

export interface WatchEventJson {
  /** When the event was received, Unix time in milliseconds. */
  time_unix_ms: number;
  event: WatchEventName;
  /** The peer, base64. */
  public_key?: string;
  /** endpoint, session: "1.2.3.4:51820" or "[2001:db8::1]:51820". */
  endpoint?: string;
  /** allowed_ips: how many prefixes the peer gained and lost. */
  added?: number;
  removed?: number;
  /** allowed_ips, for small changes: which ones. */
  allowed_ips_added?: string[];
  allowed_ips_removed?: string[];
  /** resync: how many events were lost. */
  dropped?: number;
}

const NUMERIC = new Set(['added', 'removed', 'dropped']);

export function watchEventJson(event: WatchEvent, timeUnixMs: number): WatchEventJson {
  const out: Record<string, unknown> = { time_unix_ms: timeUnixMs, event: event.name };
  for (const [key, value] of event.fields) {
    if (key === 'public_key') {
      const raw = keyFromHex(value);
      out.public_key = raw ? keyToBase64(raw) : value;
    } else if (key === 'allowed_ip') {
      const list = value.startsWith('-') ? 'allowed_ips_removed' : 'allowed_ips_added';
      ((out[list] ??= []) as string[]).push(value.replace(/^[+-]/, ''));
    } else {
      out[key] = NUMERIC.has(key) ? Number(value) : value;
    }
  }
  return out as unknown as WatchEventJson;
}

