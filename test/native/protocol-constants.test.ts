// Each protocol constant is defined once per language: src/protocol/constants.ts for the
// TypeScript core, native/protocol_constants.h for the data plane. The addon exports the C++
// table under the TypeScript names; both must agree with each other and with the whitepaper.
import assert from 'node:assert/strict';
import { loadNative } from '../../src/native/loader.js';
import * as constants from '../../src/protocol/constants.js';
import { REPLAY_WINDOW_SIZE } from '../../src/native/replay.js';

// The names both languages define: the C++ table must export exactly these.
const SHARED = [
  'REKEY_AFTER_MESSAGES',
  'REJECT_AFTER_MESSAGES',
  'REKEY_AFTER_TIME',
  'REJECT_AFTER_TIME',
  'REKEY_TIMEOUT',
  'KEEPALIVE_TIMEOUT',
  'MESSAGE_HANDSHAKE_INITIATION',
  'MESSAGE_HANDSHAKE_RESPONSE',
  'MESSAGE_HANDSHAKE_COOKIE',
  'MESSAGE_DATA',
  'HANDSHAKE_INITIATION_LENGTH',
  'HANDSHAKE_RESPONSE_LENGTH',
  'HANDSHAKE_COOKIE_LENGTH',
  'DATA_HEADER_LENGTH',
  'AEAD_TAG_LENGTH',
  'DATA_MIN_LENGTH',
  'MAC_LENGTH',
] as const;

describe('protocol constants', () => {
  const native = loadNative().protocolConstants;

  it('the addon exports the shared names and the replay window size, nothing else', () => {
    assert.deepEqual(Object.keys(native).sort(), [...SHARED, 'REPLAY_WINDOW_SIZE'].sort());
  });

  for (const name of SHARED) {
    it(`${name} is the same in C++ and TypeScript`, () => {
      const ts: unknown = constants[name];
      assert.equal(typeof native[name], typeof ts, `${name}: C++ gives a ${typeof native[name]}, TypeScript a ${typeof ts}`);
      assert.equal(native[name], ts);
    });
  }

  it('has the whitepaper values (§5.4, §6)', () => {
    assert.equal(constants.REKEY_AFTER_MESSAGES, 2n ** 60n);
    assert.equal(constants.REJECT_AFTER_MESSAGES, 2n ** 64n - 2n ** 13n - 1n);
    assert.deepEqual(
      [constants.REKEY_AFTER_TIME, constants.REJECT_AFTER_TIME, constants.REKEY_TIMEOUT, constants.KEEPALIVE_TIMEOUT],
      [120_000, 180_000, 5_000, 10_000],
    );
    assert.deepEqual(
      [constants.HANDSHAKE_INITIATION_LENGTH, constants.HANDSHAKE_RESPONSE_LENGTH, constants.HANDSHAKE_COOKIE_LENGTH, constants.DATA_MIN_LENGTH],
      [148, 92, 64, 32],
    );
  });

  it("the replay window is the kernel's COUNTER_WINDOW_SIZE", () => {
    assert.equal(REPLAY_WINDOW_SIZE, 8128);
  });
});
