// Endpoints given as host names are resolved before they go to the daemon, which takes only
// addresses. As wg (wireguard-tools src/config.c parse_endpoint): the first answer wins; a
// permanent failure (no such name) fails at once; a transient one is retried, waiting 1 s and
// then 1.2 times longer each time up to 20 s, WG_ENDPOINT_RESOLUTION_RETRIES times (default 15,
// "infinity" for no limit), with a note on stderr before each wait.
import { lookup } from 'node:dns/promises';
import { parseIpEndpoint, type Endpoint, type IpEndpoint } from '../config/endpoint.js';
import { parseIp } from '../net/ip.js';
import { CliError } from './errors.js';

export interface ResolverOptions {
  /** WG_ENDPOINT_RESOLUTION_RETRIES. */
  retries?: string;
  warn(text: string): void;
  lookup?: (host: string) => Promise<{ address: string; family: number }>;
  sleep?: (ms: number) => Promise<void>;
}

// getaddrinfo's permanent failures (EAI_NONAME, EAI_NODATA, EAI_FAIL) as Node names them.
const PERMANENT = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NODATA', 'EAI_FAIL', 'EAI_NONAME']);

function retryLimit(text: string | undefined): number {
  if (text === undefined) return 15;
  if (text === 'infinity') return Infinity;
  if (!/^\d+$/.test(text) || Number(text) > 0x7fffffff) throw new CliError(`WG_ENDPOINT_RESOLUTION_RETRIES: expected a number or "infinity", got ${JSON.stringify(text)}`);
  return Number(text);
}

export function endpointResolver(options: ResolverOptions): (endpoint: Endpoint) => Promise<IpEndpoint> {
  const limit = retryLimit(options.retries);
  const find = options.lookup ?? ((host: string) => lookup(host));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  return async (endpoint) => {
    const literal = parseIp(endpoint.host);
    if (literal) return { address: literal, port: endpoint.port };
    const written = `${endpoint.host}:${endpoint.port}`;
    let answer: { address: string; family: number } | undefined;
    for (let attempt = 0, wait = 1000; !answer; attempt++, wait = Math.min(20_000, wait * 1.2)) {
      try {
        answer = await find(endpoint.host);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'lookup failed';
        if (PERMANENT.has(code) || attempt >= limit) throw new CliError(`endpoint ${written}: cannot resolve ${endpoint.host} (${code})`, { cause: error });
        options.warn(`viaguard: endpoint ${written}: ${code}; trying again in ${(wait / 1000).toFixed(2)} seconds...\n`);
        await sleep(wait);
      }
    }
    const resolved = parseIpEndpoint(answer.family === 6 ? `[${answer.address}]:${endpoint.port}` : `${answer.address}:${endpoint.port}`);
    if (!resolved) throw new CliError(`endpoint ${written}: unusable address ${answer.address}`);
    return resolved;
  };
}
