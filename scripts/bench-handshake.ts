// Handshake throughput of the protocol core on one core, for the native Crypto (the default:
// X25519 and BLAKE2s in the addon) and the JavaScript one (node:crypto, @noble/hashes,
// libsodium): how many initiations a responder consumes and answers per second (mac1 check,
// 4 X25519 incl. the ephemeral keygen, response, session keys), how many initiations an
// initiator creates per second, and how many responses it consumes. Each figure is the best of
// BENCH_ROUNDS rounds (the 2-vCPU machine is shared with other jobs). Human-readable lines, then
// one JSON line of figures.
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createJsCrypto } from '../src/crypto/js-crypto.js';
import { createNativeCrypto } from '../src/crypto/native-crypto.js';
import { systemRandom } from '../src/crypto/system-random.js';
import type { Crypto } from '../src/protocol/crypto.js';
import { ProtocolCore } from '../src/protocol/core.js';
import type { IpEndpoint } from '../src/config/endpoint.js';
import type { ProtocolAction } from '../src/protocol/peer.js';

const PEERS = Number(process.env.BENCH_PEERS ?? 3000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// Rounds lie further apart on the protocol clock than REKEY_TIMEOUT, so every initiator may
// initiate again and the responder takes each new initiation.
const ROUND_MS = 10_000;
const endpointOf = (i: number): IpEndpoint => ({ address: { family: 4, bytes: Uint8Array.of(10, 1, (i >> 8) & 0xff, i & 0xff) }, port: 51820 });

interface Figures {
  initiationsPerSec: number;
  responderHandshakesPerSec: number;
  responsesConsumedPerSec: number;
  x25519Us: number;
}

function sends(actions: ProtocolAction[]): Uint8Array[] {
  return actions.flatMap((a) => (a.type === 'send' ? [a.packet] : []));
}

function makeDevice(crypto: Crypto): ProtocolCore {
  const d = new ProtocolCore({ crypto, random: systemRandom, wallClock: Date.now });
  d.setPrivateKey(systemRandom.bytes(32));
  return d;
}

function perSecond(count: number, since: number): number {
  return count / ((performance.now() - since) / 1000);
}

async function measure(crypto: Crypto): Promise<Figures> {
  const responder = makeDevice(crypto);
  const responderKey = responder.publicKey as Uint8Array;
  const initiators: ProtocolCore[] = [];
  for (let i = 0; i < PEERS; i++) {
    const d = makeDevice(crypto);
    d.addPeer(1, { publicKey: responderKey, endpoint: endpointOf(0) }, 0);
    responder.addPeer(i + 1, { publicKey: d.publicKey as Uint8Array }, 0);
    initiators.push(d);
  }

  const best: Figures = { initiationsPerSec: 0, responderHandshakesPerSec: 0, responsesConsumedPerSec: 0, x25519Us: Infinity };
  for (let round = 0; round < ROUNDS; round++) {
    // Node runs the finalizers that free native keys on the event loop, as a daemon's loop would.
    await nextTurn();
    const now = round * ROUND_MS;
    const accepted = responder.stats.initiationsAccepted;
    // Initiations created per second (one per initiator device, as the 5 s limit applies per peer).
    let t0 = performance.now();
    const initiations = initiators.map((d) => sends((d.peer(1) ?? assertNever()).needHandshake(now))[0]);
    best.initiationsPerSec = Math.max(best.initiationsPerSec, perSecond(PEERS, t0));

    // Responder: consume each initiation and create the response.
    t0 = performance.now();
    const responses = initiations.map((packet, i) => sends(responder.receive(packet, endpointOf(i), now + 1).actions)[0]);
    best.responderHandshakesPerSec = Math.max(best.responderHandshakesPerSec, perSecond(PEERS, t0));
    const acceptedNow = responder.stats.initiationsAccepted - accepted;
    if (acceptedNow !== PEERS) throw new Error(`round ${round + 1}: responder accepted ${acceptedNow} of ${PEERS}`);

    // Initiator: consume the responses and derive the session.
    t0 = performance.now();
    responses.forEach((packet, i) => initiators[i].receive(packet, endpointOf(0), now + 2));
    best.responsesConsumedPerSec = Math.max(best.responsesConsumedPerSec, perSecond(PEERS, t0));
    const completed = initiators.filter((d) => d.stats.responsesAccepted === round + 1).length;
    if (completed !== PEERS) throw new Error(`round ${round + 1}: only ${completed} of ${PEERS} handshakes completed`);

    // The dominant primitive, for reference.
    const k = crypto.generateKeypair();
    const pub = crypto.generateKeypair().publicKey;
    t0 = performance.now();
    for (let i = 0; i < 2000; i++) crypto.dh(k, pub);
    best.x25519Us = Math.min(best.x25519Us, ((performance.now() - t0) * 1000) / 2000);
  }
  return best;
}

function report(name: string, f: Figures): void {
  console.log(`${name} Crypto`);
  console.log(`  initiator: create initiation            ${f.initiationsPerSec.toFixed(0)} /s`);
  console.log(`  responder: consume initiation + respond ${f.responderHandshakesPerSec.toFixed(0)} /s`);
  console.log(`  initiator: consume response + keys      ${f.responsesConsumedPerSec.toFixed(0)} /s`);
  console.log(`  x25519 dh                               ${f.x25519Us.toFixed(1)} us`);
}

function assertNever(): never {
  throw new Error('peer missing');
}

const native = await measure(await createNativeCrypto());
const js = await measure(await createJsCrypto());
console.log(`handshakes: ${PEERS} peers, best of ${ROUNDS} rounds, one core (2-vCPU machine shared with other jobs)`);
report('native (default)', native);
report('JavaScript', js);
console.log(`responder speedup, native over JavaScript: ${(native.responderHandshakesPerSec / js.responderHandshakesPerSec).toFixed(2)}x`);
console.log(
  JSON.stringify({
    responderHandshakesPerSec: Math.round(native.responderHandshakesPerSec),
    initiationsPerSec: Math.round(native.initiationsPerSec),
    responsesConsumedPerSec: Math.round(native.responsesConsumedPerSec),
    x25519Us: Number(native.x25519Us.toFixed(1)),
    jsResponderHandshakesPerSec: Math.round(js.responderHandshakesPerSec),
    jsInitiationsPerSec: Math.round(js.initiationsPerSec),
    jsResponsesConsumedPerSec: Math.round(js.responsesConsumedPerSec),
    jsX25519Us: Number(js.x25519Us.toFixed(1)),
  }),
);
