// Property tests of the netlink decoders (fast-check): whatever bytes arrive, from the kernel or
// a bug, decoding returns a value or throws the decoders' one documented failure, an Error whose
// message starts "netlink:" — never a DataView RangeError, a TypeError or a hang. Inputs are
// random bytes and mutations (flipped bytes, truncation, lying lengths) of messages the kernel
// really sent.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeAddress } from '../../src/netlink/address.js';
import { decodeEvent } from '../../src/netlink/events.js';
import { decodeLink } from '../../src/netlink/link.js';
import { parseAck, splitMessages } from '../../src/netlink/message.js';
import { decodeNeighbour } from '../../src/netlink/neighbour.js';
import { decodeRoute } from '../../src/netlink/route.js';
import { decodeRule } from '../../src/netlink/rule.js';
import { parseAttributes, WireWriter } from '../../src/netlink/wire.js';
import { KERNEL_BODIES, KERNEL_DATAGRAMS, unhex } from './fixtures/netlink-captured.js';

const RUNS = 2000;

function onlyNetlinkErrors(decode: () => unknown): void {
  try {
    decode();
  } catch (error) {
    assert.ok(error instanceof Error && !(error instanceof RangeError) && !(error instanceof TypeError), `unexpected ${String(error)}`);
    assert.match(error.message, /^netlink: /);
  }
}

// A real message with a few bytes changed and maybe cut short.
function mutated(samples: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .record({
      sample: fc.constantFrom(...samples),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      cut: fc.nat(),
    })
    .map(({ sample, edits, cut }) => {
      const bytes = sample.slice(0, sample.length - (cut % (sample.length + 1)));
      for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
      return bytes;
    });
}

const bodies = Object.values(KERNEL_BODIES).map(unhex);
const datagrams = Object.values(KERNEL_DATAGRAMS).map(unhex);
const anyBody = fc.oneof(fc.uint8Array({ maxLength: 512 }), mutated(bodies));
const anyDatagram = fc.oneof(fc.uint8Array({ maxLength: 512 }), mutated(datagrams));

describe('netlink decoding of arbitrary bytes (property)', () => {
  it('each body decoder returns or throws a netlink: Error', () => {
    fc.assert(
      fc.property(anyBody, (body) => {
        for (const decode of [decodeRoute, decodeAddress, decodeLink, decodeNeighbour, decodeRule, parseAttributes]) {
          onlyNetlinkErrors(() => decode(body));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('splitting datagrams, acks and events return or throw a netlink: Error', () => {
    fc.assert(
      fc.property(anyDatagram, (datagram) => {
        onlyNetlinkErrors(() => {
          for (const message of splitMessages(datagram)) {
            onlyNetlinkErrors(() => parseAck(message));
            onlyNetlinkErrors(() => decodeEvent(message));
          }
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('splitMessages and parseAttributes give back what WireWriter framed', () => {
    const attribute = fc.record({ type: fc.integer({ min: 1, max: 0x3fff }), data: fc.uint8Array({ maxLength: 40 }) });
    const message = fc.record({
      type: fc.integer({ min: 16, max: 0xffff }),
      flags: fc.integer({ min: 0, max: 0xffff }),
      seq: fc.nat({ max: 0xffffffff }),
      attributes: fc.array(attribute, { maxLength: 6 }),
    });
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 4 }), (messages) => {
        const w = new WireWriter();
        for (const m of messages) {
          w.message(m.type, m.flags, m.seq, (body) => {
            for (const a of m.attributes) body.attrBytes(a.type, a.data);
          });
        }
        const split = splitMessages(w.finish());
        assert.equal(split.length, messages.length);
        split.forEach((got, i) => {
          assert.deepEqual([got.type, got.flags, got.seq], [messages[i].type, messages[i].flags, messages[i].seq]);
          const attributes = parseAttributes(got.payload).map((a) => ({ type: a.type, data: Uint8Array.from(a.data) }));
          assert.deepEqual(attributes, messages[i].attributes.map((a) => ({ type: a.type, data: a.data })));
        });
      }),
      { numRuns: 500 },
    );
  });
});
