// UAPI throughput at full-table scale: a 1,000,000-prefix set request parsed from chunks, the
// same request over a unix socket into the server (until the handler holds the transaction),
// and a 1,000,000-prefix get reply read back by the client. Compare with FACTS §6: wireguard-go
// takes ~2-2.7 s to set 1.1M AllowedIPs over the UAPI (parsing and trie insertion together).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { UapiClient } from '../src/uapi/client.js';
import { LineSplitter } from '../src/uapi/line-splitter.js';
import { UapiServer } from '../src/uapi/server.js';
import { SetRequestParser, type SetTransaction } from '../src/uapi/set-request.js';

const PREFIXES = 1_000_000;
const KEY = 'e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a';

function* setLines(): Generator<string> {
  yield `public_key=${KEY}`;
  yield 'replace_allowed_ips=true';
  for (let i = 0; i < PREFIXES; i++) yield `allowed_ip=${10 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}/32`;
}

function* getLines(): Generator<string> {
  yield `public_key=${KEY}`;
  yield `preshared_key=${'0'.repeat(64)}`;
  yield 'protocol_version=1';
  for (let i = 0; i < PREFIXES; i++) yield `allowed_ip=${10 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}/32`;
}

function parseOnly(): number {
  const chunks: Buffer[] = [];
  let text = '';
  for (const line of setLines()) {
    text += `${line}\n`;
    if (text.length > 65536) {
      chunks.push(Buffer.from(text));
      text = '';
    }
  }
  chunks.push(Buffer.from(`${text}\n`));
  const start = performance.now();
  const splitter = new LineSplitter();
  const parser = new SetRequestParser();
  for (const chunk of chunks) for (const line of splitter.push(chunk)) if (line !== '') parser.line(line as string);
  const tx = parser.finish();
  if (tx.peers[0].allowedIps[0].prefixes.length !== PREFIXES) throw new Error('lost prefixes');
  return performance.now() - start;
}

async function overSocket(): Promise<{ setMs: number; getMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cfg-bench-'));
  let received: SetTransaction | undefined;
  const server = await UapiServer.listen('bench0', { get: getLines, set: async (tx) => void (received = tx) }, { socketDir: dir });
  try {
    const client = new UapiClient('bench0', { socketDir: dir });
    let start = performance.now();
    const errno = await client.set(setLines());
    const setMs = performance.now() - start;
    if (errno !== 0 || received?.peers[0].allowedIps[0].prefixes.length !== PREFIXES) throw new Error(`set failed: errno ${errno}`);
    start = performance.now();
    const device = await client.get();
    const getMs = performance.now() - start;
    if (device.peers[0].allowedIps.length !== PREFIXES) throw new Error('get lost prefixes');
    return { setMs, getMs };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const parseMs = parseOnly();
console.log(`parse ${PREFIXES} allowed_ip lines from chunks: ${parseMs.toFixed(0)} ms (${(PREFIXES / parseMs / 1000).toFixed(2)} M lines/s)`);
const { setMs, getMs } = await overSocket();
console.log(`set ${PREFIXES} prefixes client -> socket -> server -> transaction: ${setMs.toFixed(0)} ms`);
console.log(`get ${PREFIXES} prefixes server -> socket -> client -> parsed device: ${getMs.toFixed(0)} ms`);
console.log(JSON.stringify({ prefixes: PREFIXES, parse_ms: Math.round(parseMs), socket_set_ms: Math.round(setMs), socket_get_ms: Math.round(getMs) }));
