// A million-line set request streamed through the line splitter and the parser in socket-sized
// chunks: memory stays bounded (the request never exists as one string) and one bad prefix on
// line 700,000 rejects the whole set, naming that line.
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { UAPI_ERRNO, UapiError } from '../../src/uapi/errors.js';
import { LineSplitter, OVERLONG } from '../../src/uapi/line-splitter.js';
import { PREFIX_ENTRY_BYTES } from '../../src/native/prefix-batch.js';
import { SetRequestParser, type SetTransaction } from '../../src/uapi/set-request.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const KEY = 'e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a';
const LINES = 1_000_000;

/** Request line n (1-based; line 1 is set=1) of a request with `lines` lines before its blank line. */
function requestLine(n: number, badLine?: number): string {
  if (n === 1) return 'set=1';
  if (n === 2) return `public_key=${KEY}`;
  if (n === badLine) return 'allowed_ip=10.0.0.0/33';
  const i = n - 3;
  return `allowed_ip=${10 + (i >>> 24)}.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}/32`;
}

/** The request as chunks of ~16 KiB cut at arbitrary byte offsets, produced lazily. */
function* chunks(badLine?: number): Generator<Buffer> {
  let text = '';
  for (let n = 1; n <= LINES; n++) {
    text += `${requestLine(n, badLine)}\n`;
    if (text.length >= 16_411) {
      yield Buffer.from(text.slice(0, 16_411));
      text = text.slice(16_411);
    }
  }
  yield Buffer.from(`${text}\n`);
}

function stream(badLine?: number): { tx?: SetTransaction; error?: UapiError; peakBytes: number } {
  gc();
  const base = process.memoryUsage();
  let peakBytes = 0;
  const splitter = new LineSplitter();
  let parser: SetRequestParser | undefined;
  let seen = 0;
  let result: { tx?: SetTransaction; error?: UapiError } | undefined;
  for (const chunk of chunks(badLine)) {
    for (const line of splitter.push(chunk)) {
      assert.notEqual(line, OVERLONG);
      seen++;
      if (seen === 1) {
        assert.equal(line, 'set=1');
        parser = new SetRequestParser();
      } else if (line === '') {
        try {
          result = { tx: parser!.finish() };
        } catch (error) {
          result = { error: error as UapiError };
        }
      } else parser!.line(line as string);
      if (seen % 100_000 === 0) {
        const now = process.memoryUsage();
        peakBytes = Math.max(peakBytes, now.heapUsed - base.heapUsed + now.arrayBuffers - base.arrayBuffers);
      }
    }
    assert.ok(splitter.buffered < 100, 'only the unfinished line is held back');
  }
  assert.equal(seen, LINES + 1);
  return { ...result!, peakBytes };
}

describe('uapi/set-request streaming', function () {
  this.timeout(60_000);

  it('parses a 1,000,000-line set in chunks with bounded memory', () => {
    const { tx, error, peakBytes } = stream();
    assert.equal(error, undefined);
    const runs = tx!.peers[0].allowedIps;
    assert.equal(runs.length, 1);
    assert.equal(runs[0].prefixes.length, LINES - 2);
    assert.deepEqual([...runs[0].prefixes.bytes.subarray(0, 6)], [4, 32, 10, 0, 0, 0]);
    // ~22 MB of packed prefixes (twice that while growing); the ~30 MB of request text is
    // never held: the bound is far below text + one object per line (~150 MB).
    const packed = LINES * PREFIX_ENTRY_BYTES;
    assert.ok(peakBytes < 2 * packed + 40e6, `peak ${Math.round(peakBytes / 1e6)} MB`);
  });

  it('rejects the whole set when line 700,000 holds a malformed prefix', () => {
    const { tx, error } = stream(700_000);
    assert.equal(tx, undefined);
    assert.ok(error instanceof UapiError);
    assert.equal(error.errno, UAPI_ERRNO.EINVAL);
    assert.equal(error.line, 700_000);
    assert.equal(error.message, 'line 700000: allowed_ip: expected an IP prefix like 10.0.0.0/8, or -PREFIX to remove one, got "10.0.0.0/33"');
  });
});

describe('uapi set: runs of allowed_ip lines read in place', () => {
  it('keeps one run per kind however the lines arrive, and numbers lines as line() does', () => {
    const parser = new SetRequestParser();
    const lines = ['public_key=' + 'ab'.repeat(32), 'allowed_ip=10.0.0.0/8', 'allowed_ip=fd00::/8', 'allowed_ip=-10.1.0.0/16', 'allowed_ip=-10.2.0.0/16', 'allowed_ip=10.3.0.0/16', 'allowed_ip=10.0.0.300/32'];
    for (const line of lines) {
      const bytes = Buffer.from(`#${line}#`);
      if (!parser.lineBytes(bytes, 1, bytes.length - 1)) parser.line(line);
    }
    const error = parser.failed;
    assert.ok(error);
    assert.equal(error.line, 8, 'set=1 is line 1; the bad prefix is the 7th line after it');
    const ok = new SetRequestParser();
    for (const line of lines.slice(0, -1)) {
      const bytes = Buffer.from(line);
      if (!ok.lineBytes(bytes, 0, bytes.length)) ok.line(line);
    }
    const runs = ok.finish().peers[0].allowedIps;
    assert.deepEqual(runs.map((r) => [r.remove, r.prefixes.length]), [[false, 2], [true, 2], [false, 1]]);
  });
});
