import assert from 'node:assert/strict';
import { CliError } from '../../src/cli/errors.js';
import { endpointResolver } from '../../src/cli/resolve-endpoint.js';
import { formatEndpoint } from '../../src/config/endpoint.js';

const failure = (code: string) => Object.assign(new Error(`getaddrinfo ${code}`), { code });

describe('cli/resolve-endpoint', () => {
  it('passes addresses through and takes the first answer for a name', async () => {
    const asked: string[] = [];
    const resolve = endpointResolver({ warn: () => assert.fail('no warning expected'), lookup: async (host) => (asked.push(host), { address: '2001:db8::5', family: 6 }) });
    assert.equal(formatEndpoint(await resolve({ host: '192.0.2.1', port: 1 })), '192.0.2.1:1');
    assert.equal(formatEndpoint(await resolve({ host: 'fd00::1', port: 2 })), '[fd00::1]:2');
    assert.equal(formatEndpoint(await resolve({ host: 'peer.example', port: 3 })), '[2001:db8::5]:3');
    assert.deepEqual(asked, ['peer.example']);
  });

  it('retries transient failures with wg\'s growing waits, never permanent ones', async () => {
    const waits: number[] = [];
    const warnings: string[] = [];
    let calls = 0;
    const resolve = endpointResolver({
      warn: (text) => warnings.push(text),
      sleep: async (ms) => void waits.push(ms),
      lookup: async () => {
        if (++calls <= 3) throw failure('EAI_AGAIN');
        return { address: '198.51.100.1', family: 4 };
      },
    });
    assert.equal(formatEndpoint(await resolve({ host: 'slow.example', port: 9 })), '198.51.100.1:9');
    assert.deepEqual(waits.map(Math.round), [1000, 1200, 1440]);
    assert.equal(warnings[1], 'viaguard: endpoint slow.example:9: EAI_AGAIN; trying again in 1.20 seconds...\n');

    const permanent = endpointResolver({ warn: () => assert.fail('no retry'), lookup: async () => Promise.reject(failure('ENOTFOUND')) });
    await assert.rejects(permanent({ host: 'nosuch.example', port: 1 }), /endpoint nosuch.example:1: cannot resolve nosuch.example \(ENOTFOUND\)/);

    let tries = 0;
    const limited = endpointResolver({ retries: '2', warn: () => undefined, sleep: async () => undefined, lookup: async () => (tries++, Promise.reject(failure('EAI_AGAIN'))) });
    await assert.rejects(limited({ host: 'down.example', port: 1 }), CliError);
    assert.equal(tries, 3, 'the first try and 2 retries');
    assert.throws(() => endpointResolver({ retries: 'lots', warn: () => undefined }), /WG_ENDPOINT_RESOLUTION_RETRIES: expected a number or "infinity", got "lots"/);
  });
});
