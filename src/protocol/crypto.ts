// The primitives WireGuard uses, behind interfaces handed to the protocol core, so the core
// stays pure and tests can substitute them. The implementations live in src/crypto/.
/** An X25519 private key held by a Crypto implementation; only its public half is visible. */
export interface PrivateKey {
  readonly publicKey: Uint8Array;
  /** Forgets the private key now, its bytes cleared where the implementation can (not usable after). */
  destroy?(): void;
}

export interface Crypto {
  importPrivateKey(raw: Uint8Array): PrivateKey;
  generateKeypair(): PrivateKey;
  /** X25519; undefined when the result is all zero (a low-order public key). */
  dh(privateKey: PrivateKey, publicKey: Uint8Array): Uint8Array | undefined;
  /** BLAKE2s-256 over the concatenation of the parts. */
  hash(...parts: Uint8Array[]): Uint8Array;
  /** HMAC-BLAKE2s, 32 bytes. */
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** WireGuard's KDF_n (whitepaper §5.4): HKDF over HMAC-BLAKE2s, n 32-byte outputs. */
  kdf(n: 1 | 2 | 3, key: Uint8Array, input: Uint8Array): Uint8Array[];
  /** Keyed BLAKE2s with a 16-byte output (WireGuard's MAC). */
  mac(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** ChaCha20-Poly1305 with WireGuard's nonce: 4 zero bytes then the little-endian 64-bit counter. */
  aeadSeal(key: Uint8Array, counter: bigint, plaintext: Uint8Array, ad: Uint8Array): Uint8Array;
  aeadOpen(key: Uint8Array, counter: bigint, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array | undefined;
  xaeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array;
  xaeadOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, ad: Uint8Array): Uint8Array | undefined;
}

/** Randomness for indices, cookie secrets, cookie nonces and timer jitter. */
export interface Random {
  bytes(length: number): Uint8Array;
}

/** A uniformly random integer in [0, bound), bound <= 2^32. */
export function randomBelow(random: Random, bound: number): number {
  const limit = Math.floor(0x1_0000_0000 / bound) * bound;
  for (;;) {
    const b = random.bytes(4);
    const v = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
    if (v < limit) return v % bound;
  }
}

export function randomU32(random: Random): number {
  const b = random.bytes(4);
  return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
}
