// What a Device reports to whoever watches it (the API's subscribers, the UAPI's `watch=1`,
// `viaguard watch`). Peers are named by public key: ids are internal and not stable.
import type { IpEndpoint } from '../config/endpoint.js';

/** A change of AllowedIPs this small lists its prefixes; a bigger one only counts them. */
export const LISTED_PREFIXES_LIMIT = 64;

export type DeviceEvent =
  | { type: 'peerAdded'; peer: Uint8Array }
  | { type: 'peerChanged'; peer: Uint8Array }
  | { type: 'peerRemoved'; peer: Uint8Array }
  /**
   * The AllowedIPs of one peer changed: how many prefixes it gained and lost, and which ones
   * when there are at most LISTED_PREFIXES_LIMIT in all (a bulk set may carry a million).
   */
  | { type: 'allowedIps'; peer: Uint8Array; added: number; removed: number; prefixes?: { added: string[]; removed: string[] } }
  /** The peer's endpoint changed (configured, or learnt from an authenticated packet). */
  | { type: 'endpoint'; peer: Uint8Array; endpoint: IpEndpoint }
  /** A handshake completed and a new session is in use. */
  | { type: 'session'; peer: Uint8Array; endpoint: IpEndpoint | undefined }
  /** Handshake attempts for the peer gave up (REKEY_ATTEMPT_TIME) and its staged packets were dropped. */
  | { type: 'handshakeFailed'; peer: Uint8Array };
