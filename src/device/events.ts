// What a Device reports to whoever watches it (the API's subscribers, `viaguard watch`).
// Peers are named by public key: ids are internal and not stable across restarts.
import type { IpEndpoint } from '../config/endpoint.js';

export type DeviceEvent =
  | { type: 'peerAdded'; peer: Uint8Array }
  | { type: 'peerChanged'; peer: Uint8Array }
  | { type: 'peerRemoved'; peer: Uint8Array }
  /** AllowedIPs of one peer changed: counts, not the prefixes (a bulk set may carry a million). */
  | { type: 'allowedIps'; peer: Uint8Array; added: number; removed: number }
  /** The peer's endpoint changed (configured, or learnt from an authenticated packet). */
  | { type: 'endpoint'; peer: Uint8Array; endpoint: IpEndpoint }
  /** A handshake completed and a new session is in use. */
  | { type: 'session'; peer: Uint8Array; endpoint: IpEndpoint | undefined }
  /** Handshake attempts for the peer gave up (REKEY_ATTEMPT_TIME) and its staged packets were dropped. */
  | { type: 'handshakeFailed'; peer: Uint8Array };
