// A session's keys as a handshake derives them: the one Keypair type of the TypeScript side. The
// core hands each keypair to the data plane (an `installKeypair` action, which DataPlane.
// installKeypair takes as it is) and keeps nothing of it: the data plane owns the previous /
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
  /** When the keypair was derived: the core's clock, which is the data plane's monotonicMs(). */
  readonly createdAt: number;
}
