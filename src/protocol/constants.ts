// WireGuard protocol constants with the whitepaper's names (§6 "Timers & Stateless UX"), as in
// the kernel's drivers/net/wireguard/messages.h and wireguard-go's device/constants.go.
// Times are milliseconds; counters that can exceed 2^53 are bigint.

export const REKEY_AFTER_MESSAGES = 1n << 60n;
export const REJECT_AFTER_MESSAGES = (1n << 64n) - (1n << 13n) - 1n;

export const REKEY_AFTER_TIME = 120_000;
export const REJECT_AFTER_TIME = 180_000;
export const REKEY_ATTEMPT_TIME = 90_000;
export const REKEY_TIMEOUT = 5_000;
/** Upper bound (exclusive) of the random jitter added to retransmission and new-handshake timers. */
export const REKEY_TIMEOUT_JITTER_MAX = 334;
export const KEEPALIVE_TIMEOUT = 10_000;
export const COOKIE_SECRET_MAX_AGE = 120_000;
/** A cookie is used for mac2 only this long before the responder's secret may have rotated. */
export const COOKIE_SECRET_LATENCY = 5_000;
/** Keys are zeroed after this long without a new session (3 × REJECT_AFTER_TIME). */
export const ZERO_KEYS_AFTER_TIME = REJECT_AFTER_TIME * 3;
/** Retransmissions of an initiation before giving up (kernel: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT). */
export const MAX_TIMER_HANDSHAKES = REKEY_ATTEMPT_TIME / REKEY_TIMEOUT;

/** At most one initiation per peer is consumed per this interval (kernel INITIATIONS_PER_SECOND = 50). */
export const INITIATION_MIN_INTERVAL = 20;
/** A device stays "under load" this long after the handshake queue drops below the threshold. */
export const UNDER_LOAD_AFTER_TIME = 1_000;
/** wireguard-go's threshold (QueueHandshakeSize / 8); the kernel uses 512. */
export const DEFAULT_UNDER_LOAD_QUEUE_LENGTH = 128;

export const HANDSHAKE_RATE_PER_SECOND = 20;
export const HANDSHAKE_RATE_BURST = 5;

export const MESSAGE_HANDSHAKE_INITIATION = 1;
export const MESSAGE_HANDSHAKE_RESPONSE = 2;
export const MESSAGE_HANDSHAKE_COOKIE = 3;
export const MESSAGE_DATA = 4;

export const KEY_LENGTH = 32;
export const HASH_LENGTH = 32;
export const MAC_LENGTH = 16;
export const AEAD_TAG_LENGTH = 16;
export const TIMESTAMP_LENGTH = 12;
export const COOKIE_NONCE_LENGTH = 24;

export const HANDSHAKE_INITIATION_LENGTH = 148;
export const HANDSHAKE_RESPONSE_LENGTH = 92;
export const HANDSHAKE_COOKIE_LENGTH = 64;
export const DATA_HEADER_LENGTH = 16;
/** A data message carries at least the AEAD tag (an empty payload is a keepalive). */
export const DATA_MIN_LENGTH = DATA_HEADER_LENGTH + AEAD_TAG_LENGTH;

export const NOISE_CONSTRUCTION = 'Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s';
export const WIREGUARD_IDENTIFIER = 'WireGuard v1 zx2c4 Jason@zx2c4.com';
export const LABEL_MAC1 = 'mac1----';
export const LABEL_COOKIE = 'cookie--';
