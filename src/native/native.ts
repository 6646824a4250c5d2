// The exact surface of the native addon (native/binding/*.cc). Callers never use it directly:
// the typed wrappers beside it validate every argument first, so no JavaScript value can
// reach C++ unchecked.

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
  AeadKey: new (key: Uint8Array) => NativeAeadKey;
  ReplayWindow: new () => NativeReplayWindow;
}
