// The Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake (whitepaper §5.4; kernel noise.c): create
// and consume the initiation and the response, then derive the transport keypair. Per-peer state
// lives in a Handshake; mac1/mac2 and cookies are cookie.ts's concern, indices the IndexTable's.
import { INITIATION_MIN_INTERVAL, KEY_LENGTH, TIMESTAMP_LENGTH } from './constants.js';
import type { Crypto, PrivateKey } from './crypto.js';
import type { IndexTable } from './index-table.js';
import { constructionConstants, kdf1, kdf2, kdf3, type ConstructionConstants } from './kdf.js';
import type { Keypair } from './keypairs.js';
import type { HandshakeInitiation, HandshakeResponse } from './messages.js';
import { tai64n, tai64nAfter } from './tai64n.js';
import { secretCopy } from './secret-bytes.js';

export type HandshakeState = 'zeroed' | 'createdInitiation' | 'consumedInitiation' | 'createdResponse' | 'consumedResponse';

export type HandshakeFailure =
  | 'noIdentity'
  | 'invalidStaticStatic'
  | 'invalidEphemeral'
  | 'decryptStatic'
  | 'unknownPeer'
  | 'decryptTimestamp'
  | 'replayedTimestamp'
  | 'initiationFlood'
  | 'unknownIndex'
  | 'unexpectedResponse'
  | 'decryptEmpty';

export type HandshakeResult<T> = { ok: true; value: T } | { ok: false; reason: HandshakeFailure };

const EMPTY = new Uint8Array(0);
const ZERO_KEY = new Uint8Array(KEY_LENGTH);

/** The handshake state kept for one peer. */
export class Handshake {
  state: HandshakeState = 'zeroed';
  hash: Uint8Array = new Uint8Array(KEY_LENGTH);
  chainingKey: Uint8Array = new Uint8Array(KEY_LENGTH);
  ephemeral: PrivateKey | undefined;
  remoteEphemeral: Uint8Array = new Uint8Array(KEY_LENGTH);
  /** Our index for the handshake in progress; it becomes the keypair's local index. */
  localIndex: number | undefined;
  remoteIndex = 0;
  /** The newest TAI64N timestamp accepted from this peer (replay protection). */
  latestTimestamp: Uint8Array = new Uint8Array(TIMESTAMP_LENGTH);
  /** Monotonic ms of the last initiation accepted from this peer (flood protection). */
  lastInitiationConsumption: number | undefined;
  /** DH(our static, their static), or undefined when either key is missing or low order. */
  staticStatic: Uint8Array | undefined;
  presharedKey: Uint8Array;

  constructor(
    readonly remoteStatic: Uint8Array,
    presharedKey: Uint8Array = ZERO_KEY,
  ) {
    this.presharedKey = secretCopy(presharedKey);
  }

  /** Recomputes the static-static DH; call when our private key or the peer's key changes. */
  precompute(crypto: Crypto, identity: PrivateKey | undefined): void {
    this.staticStatic?.fill(0);
    this.staticStatic = identity ? crypto.dh(identity, this.remoteStatic) : undefined;
  }

  /** Forgets the handshake in progress (not the replay and flood history) and frees its index. */
  clear(indexTable: IndexTable): void {
    if (this.localIndex !== undefined) indexTable.release(this.localIndex);
    this.localIndex = undefined;
    this.state = 'zeroed';
    this.hash.fill(0);
    this.chainingKey.fill(0);
    this.remoteEphemeral.fill(0);
    this.ephemeral?.destroy?.();
    this.ephemeral = undefined;
    this.remoteIndex = 0;
  }
}

/** Whatever owns a Handshake (the device's Peer); the handshake functions hand it back. */
export interface HandshakePeer {
  readonly handshake: Handshake;
}

export class Noise {
  private readonly constants: ConstructionConstants;
  private identity: PrivateKey | undefined;
  /** HASH(Hᵢ ‖ our static public key): the responder's first hash, the same for every initiation. */
  private responderHash: Uint8Array | undefined;

  constructor(
    private readonly crypto: Crypto,
    private readonly indexTable: IndexTable,
  ) {
    this.constants = constructionConstants(crypto);
  }

  setIdentity(identity: PrivateKey | undefined): void {
    this.identity = identity;
    this.responderHash = identity ? this.crypto.hash(this.constants.hash, identity.publicKey) : undefined;
  }

  getIdentity(): PrivateKey | undefined {
    return this.identity;
  }

  createInitiation(hs: Handshake, peerId: number, wallMs: number): HandshakeResult<HandshakeInitiation> {
    const { crypto, identity } = this;
    if (!identity) return { ok: false, reason: 'noIdentity' };
    if (!hs.staticStatic) return { ok: false, reason: 'invalidStaticStatic' };
    hs.clear(this.indexTable);

    let ck = this.constants.chainingKey;
    let h = crypto.hash(this.constants.hash, hs.remoteStatic);
    const ephemeral = crypto.generateKeypair();
    ck = kdf1(crypto, ck, ephemeral.publicKey);
    h = crypto.hash(h, ephemeral.publicKey);

    const es = crypto.dh(ephemeral, hs.remoteStatic);
    if (!es) {
      ephemeral.destroy?.();
      return { ok: false, reason: 'invalidEphemeral' };
    }
    let key: Uint8Array;
    [ck, key] = kdf2(crypto, ck, es);
    const encryptedStatic = crypto.aeadSeal(key, 0n, identity.publicKey, h);
    h = crypto.hash(h, encryptedStatic);

    [ck, key] = kdf2(crypto, ck, hs.staticStatic);
    const encryptedTimestamp = crypto.aeadSeal(key, 0n, tai64n(wallMs), h);
    h = crypto.hash(h, encryptedTimestamp);
    key.fill(0);
    es.fill(0);

    return {
      ok: true,
      value: {
        senderIndex: this.remember(hs, 'createdInitiation', ephemeral, ck, h, peerId),
        ephemeral: ephemeral.publicKey,
        encryptedStatic,
        encryptedTimestamp,
        mac1: new Uint8Array(16),
        mac2: new Uint8Array(16),
      },
    };
  }

  /**
   * Authenticates an initiation (whose mac1 was already checked) and records it in the sending
   * peer's handshake. `findPeer` maps the decrypted static key to a configured peer.
   */
  consumeInitiation<P extends HandshakePeer>(
    msg: HandshakeInitiation,
    findPeer: (remoteStatic: Uint8Array) => P | undefined,
    now: number,
  ): HandshakeResult<P> {
    const { crypto, identity, responderHash } = this;
    if (!identity || !responderHash) return { ok: false, reason: 'noIdentity' };

    // A copy, kept as the handshake's remote ephemeral if accepted (its imported key is reused).
    const remoteEphemeral = Uint8Array.from(msg.ephemeral);
    let ck = kdf1(crypto, this.constants.chainingKey, remoteEphemeral);
    let h = crypto.hash(responderHash, remoteEphemeral);
    const es = crypto.dh(identity, remoteEphemeral);
    if (!es) return { ok: false, reason: 'invalidEphemeral' };
    let key: Uint8Array;
    [ck, key] = kdf2(crypto, ck, es);
    es.fill(0);
    const remoteStatic = crypto.aeadOpen(key, 0n, msg.encryptedStatic, h);
    if (!remoteStatic) return { ok: false, reason: 'decryptStatic' };
    h = crypto.hash(h, msg.encryptedStatic);

    const peer = findPeer(remoteStatic);
    if (!peer) return { ok: false, reason: 'unknownPeer' };
    const hs = peer.handshake;
    if (!hs.staticStatic) return { ok: false, reason: 'invalidStaticStatic' };
    [ck, key] = kdf2(crypto, ck, hs.staticStatic);
    const timestamp = crypto.aeadOpen(key, 0n, msg.encryptedTimestamp, h);
    key.fill(0);
    if (!timestamp) return { ok: false, reason: 'decryptTimestamp' };
    h = crypto.hash(h, msg.encryptedTimestamp);

    if (!tai64nAfter(timestamp, hs.latestTimestamp)) return { ok: false, reason: 'replayedTimestamp' };
    if (hs.lastInitiationConsumption !== undefined && now - hs.lastInitiationConsumption < INITIATION_MIN_INTERVAL) {
      return { ok: false, reason: 'initiationFlood' };
    }

    hs.clear(this.indexTable);
    hs.remoteEphemeral = remoteEphemeral;
    hs.latestTimestamp = timestamp;
    hs.lastInitiationConsumption = now;
    hs.hash = h;
    hs.chainingKey = ck;
    hs.remoteIndex = msg.senderIndex;
    hs.state = 'consumedInitiation';
    return { ok: true, value: peer };
  }

  createResponse(hs: Handshake, peerId: number): HandshakeResult<HandshakeResponse> {
    const { crypto } = this;
    if (hs.state !== 'consumedInitiation') return { ok: false, reason: 'unexpectedResponse' };
    const ephemeral = crypto.generateKeypair();
    const ck = kdf1(crypto, hs.chainingKey, ephemeral.publicKey);
    const h = crypto.hash(hs.hash, ephemeral.publicKey);

    const mixed = this.mixResponseSecrets(ck, h, crypto.dh(ephemeral, hs.remoteEphemeral), crypto.dh(ephemeral, hs.remoteStatic), hs.presharedKey);
    if (!mixed) {
      ephemeral.destroy?.();
      return { ok: false, reason: 'invalidEphemeral' };
    }
    const encryptedNothing = crypto.aeadSeal(mixed.key, 0n, EMPTY, mixed.h);
    mixed.key.fill(0);

    return {
      ok: true,
      value: {
        senderIndex: this.remember(hs, 'createdResponse', ephemeral, mixed.ck, crypto.hash(mixed.h, encryptedNothing), peerId),
        receiverIndex: hs.remoteIndex,
        ephemeral: ephemeral.publicKey,
        encryptedNothing,
        mac1: new Uint8Array(16),
        mac2: new Uint8Array(16),
      },
    };
  }

  /** Authenticates a response (mac1 already checked) to the initiation `peer` has outstanding. */
  consumeResponse<P extends HandshakePeer>(msg: HandshakeResponse, peer: P | undefined): HandshakeResult<P> {
    const { crypto, identity } = this;
    if (!identity) return { ok: false, reason: 'noIdentity' };
    if (!peer) return { ok: false, reason: 'unknownIndex' };
    const hs = peer.handshake;
    if (hs.state !== 'createdInitiation' || hs.localIndex !== msg.receiverIndex || !hs.ephemeral) {
      return { ok: false, reason: 'unexpectedResponse' };
    }
    const remoteEphemeral = Uint8Array.from(msg.ephemeral);
    const ck = kdf1(crypto, hs.chainingKey, remoteEphemeral);
    const h = crypto.hash(hs.hash, remoteEphemeral);
    const mixed = this.mixResponseSecrets(ck, h, crypto.dh(hs.ephemeral, remoteEphemeral), crypto.dh(identity, remoteEphemeral), hs.presharedKey);
    if (!mixed) return { ok: false, reason: 'invalidEphemeral' };
    const nothing = crypto.aeadOpen(mixed.key, 0n, msg.encryptedNothing, mixed.h);
    mixed.key.fill(0);
    if (!nothing) return { ok: false, reason: 'decryptEmpty' };

    hs.chainingKey = mixed.ck;
    hs.hash = crypto.hash(mixed.h, msg.encryptedNothing);
    hs.remoteEphemeral = remoteEphemeral;
    hs.remoteIndex = msg.senderIndex;
    hs.state = 'consumedResponse';
    return { ok: true, value: peer };
  }

  /** Keeps what a handshake message we send leaves behind; returns its new sender index. */
  private remember(hs: Handshake, state: HandshakeState, ephemeral: PrivateKey, ck: Uint8Array, h: Uint8Array, peerId: number): number {
    if (hs.ephemeral !== ephemeral) hs.ephemeral?.destroy?.();
    hs.ephemeral = ephemeral;
    hs.chainingKey = ck;
    hs.hash = h;
    hs.localIndex = this.indexTable.allocate(peerId);
    hs.state = state;
    return hs.localIndex;
  }

  /**
   * The response's shared steps, the same on both sides: mix in the ephemeral-ephemeral and
   * ephemeral-static DH results (zeroed after), then the preshared key. Returns the new
   * chaining key and hash and the key that seals the empty payload (the caller zeroes it), or
   * undefined when a DH hit a low-order point.
   */
  private mixResponseSecrets(ck: Uint8Array, h: Uint8Array, ee: Uint8Array | undefined, se: Uint8Array | undefined, presharedKey: Uint8Array): { ck: Uint8Array; h: Uint8Array; key: Uint8Array } | undefined {
    if (!ee || !se) return undefined;
    ck = kdf1(this.crypto, ck, ee);
    ck = kdf1(this.crypto, ck, se);
    ee.fill(0);
    se.fill(0);
    const [mixed, tau, key] = kdf3(this.crypto, ck, presharedKey);
    h = this.crypto.hash(h, tau);
    tau.fill(0);
    return { ck: mixed, h, key };
  }

  /**
   * Derives the transport keypair after createResponse (responder) or consumeResponse
   * (initiator) and zeroes the handshake; the handshake's index moves to the keypair.
   */
  beginSession(hs: Handshake, now: number): Keypair | undefined {
    const isInitiator = hs.state === 'consumedResponse';
    if (!isInitiator && hs.state !== 'createdResponse') return undefined;
    if (hs.localIndex === undefined) return undefined;
    const [first, second] = kdf2(this.crypto, hs.chainingKey, EMPTY);
    const keypair: Keypair = {
      localIndex: hs.localIndex,
      remoteIndex: hs.remoteIndex,
      sendKey: isInitiator ? first : second,
      receiveKey: isInitiator ? second : first,
      isInitiator,
      createdAt: now,
    };
    hs.localIndex = undefined;
    hs.clear(this.indexTable);
    return keypair;
  }
}
