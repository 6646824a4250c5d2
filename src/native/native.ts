// The exact surface of the native addon (native/binding/*.cc). Callers never use it directly:
// the typed wrappers beside it validate every argument first, so no JavaScript value can
// reach C++ unchecked.

/**
 * native/binding/allowedips_wrap.cc. Bulk calls take 22-byte entries: u8 family (4|6), u8 cidr,
 * 16 address bytes (IPv4 in the first 4), u32 little-endian peer id.
 */
export interface NativeAllowedIps {
  /** Returns the previous owner of that exact prefix, or 0. */
  insert(family: number, address: Uint8Array, cidr: number, peer: number): number;
  /** Removes the exact prefix only if peer owns it. */
  remove(family: number, address: Uint8Array, cidr: number, peer: number): boolean;
  removeAll(peer: number): number;
  lookup(family: number, address: Uint8Array): number;
  /** The peer's prefixes as 22-byte entries, host bits cleared. */
  walk(peer: number): Uint8Array;
  count(): number;
  memoryBytes(): number;
  /** Returns how many prefixes were new. The whole batch is checked before any is applied. */
  insertMany(batch: Uint8Array): number;
  /** Returns how many prefixes were removed (each only if its entry's peer owned it). */
  removeMany(batch: Uint8Array): number;
  /** addresses: packed 4- or 16-byte addresses; out[i] receives the owner or 0. Returns matches. */
  lookupMany(family: number, addresses: Uint8Array, out: Uint32Array): number;
}

/** One ChaCha20-Poly1305 key (native/binding/aead_wrap.cc). */
export interface NativeAeadKey {
  seal(counter: bigint, plaintext: Uint8Array, ad: Uint8Array | null, dst: Uint8Array): void;
  open(counter: bigint, sealed: Uint8Array, ad: Uint8Array | null, dst: Uint8Array): boolean;
  sealWithNonce(nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array | null, dst: Uint8Array): void;
  openWithNonce(nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array | null, dst: Uint8Array): boolean;
  sealMany(counters: BigUint64Array, src: Uint8Array, lengths: Uint32Array, dst: Uint8Array): void;
  openMany(
    counters: BigUint64Array,
    src: Uint8Array,
    lengths: Uint32Array,
    dst: Uint8Array,
    ok: Uint8Array,
  ): number;
  destroy(): void;
}

/** RFC 6479 anti-replay window (native/binding/replay_wrap.cc). */
export interface NativeReplayWindow {
  accept(counter: bigint, limit?: bigint): boolean;
  reset(): void;
}

export interface NativeAddon {
  AllowedIps: new () => NativeAllowedIps;
  AeadKey: new (key: Uint8Array) => NativeAeadKey;
  ReplayWindow: new () => NativeReplayWindow;
}
