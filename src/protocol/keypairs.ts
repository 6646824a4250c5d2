// A session's keys as a handshake derives them. The core hands each keypair to the data plane
// (an `installKeypair` action) and keeps nothing of it: the data plane owns the previous /
// current / next slots, the send counters, the replay windows and the data-driven rekey
// triggers (native/keypair.h, native/datapath_send.cc and datapath_receive.cc, as the kernel's
// noise.c, send.c and receive.c).

export interface Keypair {
  /** Our index: data messages sent to us carry it as their receiver index. */
  readonly localIndex: number;
  /** The peer's index: our data messages carry it. */
  readonly remoteIndex: number;
  readonly sendKey: Uint8Array;
  readonly receiveKey: Uint8Array;
  readonly isInitiator: boolean;
  /** Monotonic ms when the keypair was derived. */
  readonly createdAt: number;
}
