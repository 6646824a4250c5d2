// Endpoints given as host names are resolved before they go to the daemon, which takes only
// addresses (as wg does with getaddrinfo; the first answer wins).
import { lookup } from 'node:dns/promises';
import { parseIpEndpoint, type Endpoint, type IpEndpoint } from '../config/endpoint.js';
import { parseIp } from '../net/ip.js';
import { CliError } from './errors.js';

export async function resolveEndpoint(endpoint: Endpoint): Promise<IpEndpoint> {
  const literal = parseIp(endpoint.host);
  if (literal) return { address: literal, port: endpoint.port };
  let answer: { address: string; family: number };
  try {
    answer = await lookup(endpoint.host);
  } catch (error) {
    throw new CliError(`endpoint ${endpoint.host}:${endpoint.port}: cannot resolve ${endpoint.host} (${(error as NodeJS.ErrnoException).code ?? 'lookup failed'})`, { cause: error });
  }
  const resolved = parseIpEndpoint(answer.family === 6 ? `[${answer.address}]:${endpoint.port}` : `${answer.address}:${endpoint.port}`);
  if (!resolved) throw new CliError(`endpoint ${endpoint.host}:${endpoint.port}: unusable address ${answer.address}`);
  return resolved;
}
