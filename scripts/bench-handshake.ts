// Handshake throughput of the protocol core on one core: how many initiations a responder
// consumes and answers per second (mac1 check, 4 X25519 incl. the ephemeral keygen, response,
// session keys), how many initiations an initiator creates per second, and how many responses
// it consumes. Human-readable lines, then one JSON line of figures.
import { performance } from 'node:perf_hooks';
import { createDefaultCrypto, systemRandom, type Crypto } from '../src/protocol/crypto.js';
import { ProtocolDevice } from '../src/protocol/device.js';
import type { Endpoint } from '../src/protocol/endpoint.js';
import type { ProtocolAction } from '../src/protocol/peer.js';

const PEERS = Number(process.env.BENCH_PEERS ?? 3000);
const endpointOf = (i: number): Endpoint => ({ address: { family: 4, bytes: Uint8Array.of(10, 1, (i >> 8) & 0xff, i & 0xff) }, port: 51820 });

function sends(actions: ProtocolAction[]): Uint8Array[] {
  return actions.flatMap((a) => (a.type === 'send' ? [a.packet] : []));
}

function makeDevice(crypto: Crypto): ProtocolDevice {
  const d = new ProtocolDevice({ crypto, random: systemRandom, wallClock: Date.now });
  d.setPrivateKey(systemRandom.bytes(32));
  return d;
}

async function main(): Promise<void> {
  const crypto = await createDefaultCrypto();
  const responder = makeDevice(crypto);
  const responderKey = responder.publicKey as Uint8Array;
  const initiators: ProtocolDevice[] = [];
  for (let i = 0; i < PEERS; i++) {
    const d = makeDevice(crypto);
    d.addPeer(1, { publicKey: responderKey, endpoint: endpointOf(0) }, 0);
    responder.addPeer(i + 1, { publicKey: d.publicKey as Uint8Array }, 0);
    initiators.push(d);
  }

  // Initiations created per second (one per initiator device, as the 5 s limit applies per peer).
  let t0 = performance.now();
  const initiations = initiators.map((d) => sends((d.peer(1) ?? assertNever()).needHandshake(0))[0]);
  const initiationsPerSec = PEERS / ((performance.now() - t0) / 1000);

  // Responder: consume each initiation and create the response.
  t0 = performance.now();
  const responses = initiations.map((packet, i) => sends(responder.receive(packet, endpointOf(i), 1))[0]);
  const responderPerSec = PEERS / ((performance.now() - t0) / 1000);
  if (responder.stats.initiationsAccepted !== PEERS) throw new Error(`responder accepted ${responder.stats.initiationsAccepted} of ${PEERS}`);

  // Initiator: consume the responses and derive the session.
  t0 = performance.now();
  responses.forEach((packet, i) => initiators[i].receive(packet, endpointOf(0), 2));
  const responsesPerSec = PEERS / ((performance.now() - t0) / 1000);
  const completed = initiators.filter((d) => d.stats.responsesAccepted === 1).length;
  if (completed !== PEERS) throw new Error(`only ${completed} of ${PEERS} handshakes completed`);

  // The dominant primitive, for reference.
  const k = crypto.generateKeypair();
  const pub = crypto.generateKeypair().publicKey;
  t0 = performance.now();
  for (let i = 0; i < 2000; i++) crypto.dh(k, pub);
  const x25519Us = ((performance.now() - t0) * 1000) / 2000;

  console.log(`handshakes: ${PEERS} peers, one core (2-vCPU machine shared with other jobs)`);
  console.log(`initiator: create initiation         ${initiationsPerSec.toFixed(0)} /s`);
  console.log(`responder: consume initiation + respond ${responderPerSec.toFixed(0)} /s`);
  console.log(`initiator: consume response + keys    ${responsesPerSec.toFixed(0)} /s`);
  console.log(`x25519 (dh incl. public key import)   ${x25519Us.toFixed(1)} us`);
  console.log(
    JSON.stringify({
      responderHandshakesPerSec: Math.round(responderPerSec),
      initiationsPerSec: Math.round(initiationsPerSec),
      responsesConsumedPerSec: Math.round(responsesPerSec),
      x25519Us: Number(x25519Us.toFixed(1)),
    }),
  );
}

function assertNever(): never {
  throw new Error('peer missing');
}

await main();
