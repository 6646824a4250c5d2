// mac1, mac2 and cookies (whitepaper §5.4.4 and §5.4.7; kernel cookie.c). Every handshake
// message ends with mac1 = MAC(HASH("mac1----" ‖ receiver's public key), message up to mac1),
// which proves the sender knows whom it talks to, and mac2 = MAC(cookie, message up to mac2).
// A responder under load demands mac2, answering a message without a valid one with a cookie
// reply: MAC(secret rotated every 2 minutes, source address ‖ port), encrypted under
// HASH("cookie--" ‖ responder's public key) with mac1 of the message as associated data.
import {
  COOKIE_NONCE_LENGTH,
  COOKIE_SECRET_LATENCY,
  COOKIE_SECRET_MAX_AGE,
  LABEL_COOKIE,
  LABEL_MAC1,
  MAC_LENGTH,
} from './constants.js';
import type { Crypto, Random } from './crypto.js';
import { endpointBytes } from './endpoint.js';
import type { IpEndpoint } from '../config/endpoint.js';
import { encodeCookieReply, type CookieReply } from './messages.js';

export type MacCheck = 'invalidMac1' | 'validMac1' | 'validMac2';

const encoder = new TextEncoder();

export function mac1Key(crypto: Crypto, publicKey: Uint8Array): Uint8Array {
  return crypto.hash(encoder.encode(LABEL_MAC1), publicKey);
}

export function cookieKey(crypto: Crypto, publicKey: Uint8Array): Uint8Array {
  return crypto.hash(encoder.encode(LABEL_COOKIE), publicKey);
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

const mac1Offset = (packet: Uint8Array): number => packet.length - 2 * MAC_LENGTH;
const mac2Offset = (packet: Uint8Array): number => packet.length - MAC_LENGTH;

/** The responder side: checks mac1/mac2 of handshake messages sent to us and makes cookie replies. */
export class CookieChecker {
  private mac1Key: Uint8Array | undefined;
  private cookieKey: Uint8Array | undefined;
  private secret: Uint8Array | undefined;
  private secretBirth = 0;

  constructor(
    private readonly crypto: Crypto,
    private readonly random: Random,
  ) {}

  /** Keys the checker to our static public key (undefined: no identity, every message fails). */
  setPublicKey(publicKey: Uint8Array | undefined): void {
    this.mac1Key = publicKey && mac1Key(this.crypto, publicKey);
    this.cookieKey = publicKey && cookieKey(this.crypto, publicKey);
  }

  /** Checks mac1, and mac2 too when `checkMac2` (the device is under load). */
  check(packet: Uint8Array, source: IpEndpoint, checkMac2: boolean, now: number): MacCheck {
    if (!this.mac1Key) return 'invalidMac1';
    const m1 = mac1Offset(packet);
    const mac1 = this.crypto.mac(this.mac1Key, packet.subarray(0, m1));
    if (!constantTimeEqual(mac1, packet.subarray(m1, m1 + MAC_LENGTH))) return 'invalidMac1';
    if (!checkMac2) return 'validMac1';
    const m2 = mac2Offset(packet);
    const mac2 = this.crypto.mac(this.cookie(source, now), packet.subarray(0, m2));
    return constantTimeEqual(mac2, packet.subarray(m2)) ? 'validMac2' : 'validMac1';
  }

  /** The cookie reply to a handshake message (with a valid mac1) whose sender used `senderIndex`. */
  createReply(packet: Uint8Array, senderIndex: number, source: IpEndpoint, now: number): Uint8Array {
    if (!this.cookieKey) throw new Error('cookie reply requested without a local public key');
    const nonce = this.random.bytes(COOKIE_NONCE_LENGTH);
    const m1 = mac1Offset(packet);
    const reply: CookieReply = {
      receiverIndex: senderIndex,
      nonce,
      encryptedCookie: this.crypto.xaeadSeal(this.cookieKey, nonce, this.cookie(source, now), packet.subarray(m1, m1 + MAC_LENGTH)),
    };
    return encodeCookieReply(reply);
  }

  private cookie(source: IpEndpoint, now: number): Uint8Array {
    if (!this.secret || now - this.secretBirth >= COOKIE_SECRET_MAX_AGE) {
      this.secret?.fill(0);
      this.secret = this.random.bytes(32);
      this.secretBirth = now;
    }
    return this.crypto.mac(this.secret, endpointBytes(source));
  }
}

/** The initiator side, per peer: adds mac1/mac2 to our messages and takes the peer's cookies. */
export class PeerCookie {
  private readonly mac1Key: Uint8Array;
  private readonly decryptionKey: Uint8Array;
  private cookie: Uint8Array | undefined;
  private cookieBirth = 0;
  /** mac1 of our last handshake message: the associated data of the cookie reply it may draw. */
  private lastMac1: Uint8Array | undefined;

  constructor(
    private readonly crypto: Crypto,
    remoteStatic: Uint8Array,
  ) {
    this.mac1Key = mac1Key(crypto, remoteStatic);
    this.decryptionKey = cookieKey(crypto, remoteStatic);
  }

  /** Fills mac1, and mac2 while we hold a fresh cookie, into an encoded handshake message. */
  addMacs(packet: Uint8Array, now: number): void {
    const m1 = mac1Offset(packet);
    const mac1 = this.crypto.mac(this.mac1Key, packet.subarray(0, m1));
    packet.set(mac1, m1);
    this.lastMac1 = mac1;
    const m2 = mac2Offset(packet);
    const mac2 = this.cookie && this.hasFreshCookie(now) ? this.crypto.mac(this.cookie, packet.subarray(0, m2)) : new Uint8Array(MAC_LENGTH);
    packet.set(mac2, m2);
  }

  /** Takes a cookie reply; false when it does not answer our last message or fails to decrypt. */
  consumeReply(reply: CookieReply, now: number): boolean {
    if (!this.lastMac1) return false;
    const cookie = this.crypto.xaeadOpen(this.decryptionKey, reply.nonce, reply.encryptedCookie, this.lastMac1);
    if (!cookie) return false;
    this.cookie = cookie;
    this.cookieBirth = now;
    this.lastMac1 = undefined;
    return true;
  }

  hasFreshCookie(now: number): boolean {
    return this.cookie !== undefined && now - this.cookieBirth < COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY;
  }
}
