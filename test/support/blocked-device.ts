// A Node application that blocks its main thread: creates a tunnel with Device.create, prints
// "ready", then blocks for BLOCK_MS (Atomics.wait, as a synchronous call would), prints "woke"
// and closes. Run by test/netns/api-worker.test.ts inside a namespace.
//   node blocked-device.js IFNAME PRIVATE_KEY PEER_PUBLIC_KEY PEER_ENDPOINT PEER_ALLOWED ADDRESS BLOCK_MS
import { execFileSync } from 'node:child_process';
import { Device } from '../../src/api/device.js';

const [name, privateKey, peer, endpoint, allowed, address, blockMs] = process.argv.slice(2);
const device = await Device.create({ name, privateKey, listenPort: 51820, peers: [{ publicKey: peer, endpoint, allowedIps: [allowed] }] });
execFileSync('ip', ['addr', 'add', address, 'dev', name]);
execFileSync('ip', ['link', 'set', name, 'up']);
console.log('ready');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(blockMs));
console.log('woke');
await device.close();
