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

/** A ChaCha20-Poly1305 implementation of the addon (native/aead.h). */
export type NativeAeadPath = 'openssl' | 'ipsec-mb';

/** One ChaCha20-Poly1305 key (native/binding/aead_wrap.cc); path omitted: the fastest. */
export interface NativeAeadKey {
  seal(counter: bigint, plaintext: Uint8Array, ad: Uint8Array | null, dst: Uint8Array, path?: NativeAeadPath): void;
  open(counter: bigint, sealed: Uint8Array, ad: Uint8Array | null, dst: Uint8Array, path?: NativeAeadPath): boolean;
  sealWithNonce(
    nonce: Uint8Array,
    plaintext: Uint8Array,
    ad: Uint8Array | null,
    dst: Uint8Array,
    path?: NativeAeadPath,
  ): void;
  openWithNonce(
    nonce: Uint8Array,
    sealed: Uint8Array,
    ad: Uint8Array | null,
    dst: Uint8Array,
    path?: NativeAeadPath,
  ): boolean;
  sealMany(
    counters: BigUint64Array,
    src: Uint8Array,
    lengths: Uint32Array,
    dst: Uint8Array,
    path?: NativeAeadPath,
  ): void;
  openMany(
    counters: BigUint64Array,
    src: Uint8Array,
    lengths: Uint32Array,
    dst: Uint8Array,
    ok: Uint8Array,
    path?: NativeAeadPath,
  ): number;
  destroy(): void;
}

/** RFC 6479 anti-replay window (native/binding/replay_wrap.cc). */
export interface NativeReplayWindow {
  accept(counter: bigint, limit?: bigint): boolean;
  reset(): void;
}

/**
 * An event from the data plane's threads, delivered in batches (native/binding/dataplane_wrap.cc).
 * localAddress is the address of ours the datagram arrived at (absent when unknown).
 */
export type NativeDataPlaneEvent =
  | { type: 'handshake'; message: Buffer; address: string; port: number; localAddress?: string; /** The data plane was rate-limiting handshakes per source. */ underLoad?: true }
  | { type: 'needHandshake'; peer: number }
  | { type: 'keypairConfirmed'; peer: number; localIndex: number }
  | { type: 'endpointChanged'; peer: number; address: string; port: number; localAddress?: string }
  | { type: 'closed'; reason: string }
  /** `route` source check: may peer send from address to destination (ours)? Answer with settleSources (same generation). */
  | { type: 'resolveSource'; peer: number; address: string; destination: string; generation: number }
  /** Route mode: peer's authenticated packets came from this link-local address, which it now owns. */
  | { type: 'addressLearnt'; peer: number; address: string };

/** A peer's endpoint and the address of ours it is answered from (sticky source). */
export interface NativeLocalAddress {
  peer: number;
  address: string;
  port: number;
  localAddress: string;
  /** The interface its packets arrived on; 0 when unknown. */
  localIfindex: number;
}

/** An answer to a resolveSource event. */
export interface NativeSourceVerdict {
  address: string;
  destination: string;
  peer: number;
  accept: boolean;
  generation: number;
}

/** The native DataPlane (native/datapath.h). Unknown peers are RangeErrors; after close() every call throws. */
export interface NativeDataPlane {
  readonly ifname: string;
  readonly port: number;
  /** A TAP device (route mode): frames, not IP packets. */
  readonly ethernet: boolean;
  /** The device's offloads as the kernel granted them, e.g. 'csum tso4 tso6 tso_ecn uso4 uso6' or 'none (…)'. */
  readonly offloads: string;
  /** The threads that seal and open each batch, the I/O threads included. */
  readonly cryptoThreads: number;
  readonly queues: number;
  /** The TAP's MAC as the kernel has it now; null on TUN. */
  hardwareAddress(): Uint8Array | null;
  /** An fd (ours to close) of the namespace the interface lives in now, and its name there; throws EBADFD once deleted. */
  deviceNamespace(): { fd: number; name: string };
  setPeerMac(peer: number, mac: Uint8Array): void;
  /** The peer answering ARP/NDP for address (AllowedIPs, else learnt); 0 for none. */
  ownerOf(address: string): number;
  learntAddresses(peer: number): string[];
  settleSources(verdicts: NativeSourceVerdict[]): void;
  clearSourceVerdicts(): void;
  localAddresses(): NativeLocalAddress[];
  forgetLocalAddress(peer: number, address: string, port: number, localAddress: string, localIfindex: number): boolean;
  bind(port: number): number;
  setFwmark(mark: number): void;
  setMac1Key(key: Uint8Array | null): void;
  setSourceCheck(mode: 'allowed-ips' | 'route' | 'off'): void;
  setRekeyAfterMessages(messages: number): void;
  setMtu(mtu: number): void;
  setRouteMtus(packed: Uint8Array): void;
  addPeer(peer: number): void;
  removePeer(peer: number): boolean;
  holdSteering(): void;
  releaseSteering(): void;
  setEndpoint(peer: number, address: string, port: number, localAddress?: string): void;
  clearEndpoint(peer: number): void;
  clearEndpointSource(peer: number): void;
  installKeypair(
    peer: number,
    localIndex: number,
    remoteIndex: number,
    sendKey: Uint8Array,
    receiveKey: Uint8Array,
    isInitiator: boolean,
    /** monotonicMs(); default: now. */
    createdAt?: number,
  ): void;
  removeKeypair(localIndex: number): boolean;
  clearKeypairs(peer: number): void;
  hasKeypairIndex(localIndex: number): boolean;
  keypairs(peer: number): { previous: number | null; current: number | null; next: number | null };
  sendHandshake(peer: number, message: Uint8Array): boolean;
  sendTo(address: string, port: number, message: Uint8Array, localAddress?: string): boolean;
  sendKeepalive(peer: number): void;
  dropStaged(peer: number): void;
  /** Rows of 9 numbers: id, rxBytes, txBytes, lastDataSent, lastDataReceived, lastAuthSent, lastAuthReceived (ms, 0 = never), sourceCheckDrops, staged. */
  peerStats(): Float64Array;
  counters(): Record<string, number>;
  close(): void;
}

export interface NativeDataPlaneOptions {
  tunName?: string;
  tunFd?: number;
  /** With tunName: create a TAP device (route mode). */
  tap?: boolean;
  mtu: number;
  /** Crypto workers, the I/O threads included (default: one per CPU the process may use). */
  threads?: number;
  queues?: number;
}

/** An Error from a failed system call: `code` is the errno name ("ENOENT"), `errno` its number. */
export interface NativeSystemError extends Error {
  code: string;
  errno: number;
}

/** native/binding/netlink_wrap.cc: a NETLINK_ROUTE socket polled by the event loop. */
export interface NativeNetlinkSocket {
  /** Sends one datagram of complete netlink messages. */
  send(datagram: Uint8Array): void;
  /** Stops polling and closes the descriptor; idempotent. */
  close(): void;
  /** Let an open socket keep the process alive (the default) or not. */
  ref(): void;
  unref(): void;
  readonly portId: number;
}

export type NetlinkReceiveCallback = (
  error: NativeSystemError | null,
  datagrams: Uint8Array[],
  overflowed: boolean,
) => void;

export interface NativeNetlinkSocketConstructor {
  /** groups: RTNLGRP_* numbers to join; netnsPath: a network namespace file to open it in. */
  new (groups: number[], netnsPath: string | undefined, onReceive: NetlinkReceiveCallback): NativeNetlinkSocket;
}

/**
 * An X25519 key pair whose private half stays in C++ (native/x25519.h); OpenSSL wipes it when
 * freed. Results go into caller-provided arrays (native/binding/handshake_crypto_wrap.cc).
 */
export interface NativeX25519Key {
  /** Writes the public key into out (32 bytes). */
  publicKey(out: Uint8Array): void;
  /** X25519 with a 32-byte public key into out (32 bytes); false, out zeroed, when the result is all zero (low-order point). */
  dh(publicKey: Uint8Array, out: Uint8Array): boolean;
  /** Frees the private key now (OpenSSL clears it); dh throws afterwards. */
  destroy(): void;
}

/**
 * native/binding/protocol_constants_wrap.cc: the data plane's protocol constants under the names
 * of src/protocol/constants.ts (times in ms, message counters as bigint), plus REPLAY_WINDOW_SIZE.
 */
export type NativeProtocolConstants = Readonly<Record<string, number | bigint>>;

export interface NativeAddon {
  NetlinkSocket: NativeNetlinkSocketConstructor;
  AllowedIps: new () => NativeAllowedIps;
  AeadKey: new (key: Uint8Array) => NativeAeadKey;
  /** The ChaCha20-Poly1305 implementations this build and CPU can run, the fastest first. */
  aeadPaths(): NativeAeadPath[];
  ReplayWindow: new () => NativeReplayWindow;
  monotonicMs(): number;
  /** glibc malloc_trim(0): free heap pages back to the kernel; true when some were. */
  trimMemory(): boolean;
  /** if_indextoname(3) in this network namespace; undefined when no interface has the index. */
  interfaceName(index: number): string | undefined;
  /** BLAKE2s (RFC 7693) of data, keyed when key is given; outLength 1..32 (native/blake2s.h). */
  blake2s(data: Uint8Array, key: Uint8Array | null, outLength: number): Uint8Array;
  createTun(name: string): { fd: number; name: string };
  /** The 6-byte MAC standing for a peer in route mode: BLAKE2s-256(publicKey)[0..6], locally administered unicast. */
  peerMac(publicKey: Uint8Array): Uint8Array;
  /** native/binding/handshake_crypto_wrap.cc: no argument generates a key pair, a 32-byte private key imports one. */
  X25519Key: new (privateKey?: Uint8Array) => NativeX25519Key;
  /** out (1..32 bytes) receives BLAKE2s of the parts' concatenation, keyed (up to 32 bytes) when key is given. */
  blake2sInto(out: Uint8Array, key: Uint8Array | null, ...parts: Uint8Array[]): void;
  /** out (32 bytes) receives HMAC-BLAKE2s(key, data) (native/hmac_blake2s.h). */
  hmacBlake2sInto(out: Uint8Array, key: Uint8Array, data: Uint8Array): void;
  /** out (32 n bytes, n = 1..3) receives WireGuard's KDF_n(key, input), the outputs back to back. */
  hkdfBlake2sInto(out: Uint8Array, key: Uint8Array, input: Uint8Array): void;
  /**
   * native/binding/offload_wrap.cc, for tests: cuts what a TUN with offloads reads (its 10-byte
   * virtio_net_hdr in host order and the packet; linkLength 0 or 14) into wire packets.
   */
  gsoSplit(
    header: Uint8Array,
    packet: Uint8Array,
    linkLength: number,
  ): { result: 'ok' | 'badHeader' | 'badPacket'; segments: Uint8Array[] };
  /** The writes (virtio_net_hdr and packet) a TUN with offloads gets for these decrypted packets. */
  groCoalesce(
    packets: Uint8Array[],
    linkLength: number,
    tcp: boolean,
    udp: boolean,
  ): Array<{ header: Uint8Array; packet: Uint8Array }>;
  /** native/socket_filters.h, for tests: the SO_REUSEPORT steering program as [code, jt, jf, k] instructions. */
  steeringProgram(family: 4 | 6, endpoints: Array<[address: string, port: number]>, lanes: number): Array<[number, number, number, number]>;
  /** The receive lane (0..lanes-1) the steering gives a known endpoint. */
  knownLane(address: string, port: number, lanes: number): number;
  /** native/ip_packet.h: the same 32 bits for both directions of an IP packet's flow (0: no IP packet). */
  symmetricFlowHash(packet: Uint8Array): number;
  /** native/icmp_error.h: the destination-unreachable answer to an IP packet, null when none may be sent. */
  unreachableFor(packet: Uint8Array): Uint8Array | null;
  /** The same for a TAP frame (Ethernet header, then the packet), framed back to its sender. */
  unreachableForFrame(frame: Uint8Array): Uint8Array | null;
  protocolConstants: NativeProtocolConstants;
  DataPlane: new (
    options: NativeDataPlaneOptions,
    allowedIps: NativeAllowedIps,
    onEvents: (events: NativeDataPlaneEvent[]) => void,
  ) => NativeDataPlane;
}
