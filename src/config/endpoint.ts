// Peer endpoints as text. Config files (wireguard-tools src/config.c parse_endpoint) take
// "host:port" split at the last colon, or "[v6]:port"; the host may be a name resolved later.
// The UAPI (wireguard-go's netip.ParseAddrPort) takes only IP literals, IPv6 in brackets.
import { formatIp, parseIp, type IpAddress } from '../net/ip.js';

/** A config file's endpoint: host is an IP literal (IPv6 without brackets) or a DNS name. */
export interface Endpoint {
  host: string;
  port: number;
}

/** An endpoint as the UAPI carries it: an address, never a name. */
export interface IpEndpoint {
  address: IpAddress;
  port: number;
  /** An IPv6 zone ("eth0", or an interface index "3") for link-local addresses: fe80::1%eth0. */
  scope?: string;
}

// RFC 1123 labels; underscores tolerated as resolvers do.
const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

export function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

function splitHostPort(text: string): { host: string; port: string; bracketed: boolean } | undefined {
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return undefined;
    return { host: text.slice(1, close), port: text.slice(close + 2), bracketed: true };
  }
  const colon = text.lastIndexOf(':');
  if (colon < 0) return undefined;
  return { host: text.slice(0, colon), port: text.slice(colon + 1), bracketed: false };
}

export function parseEndpoint(text: string): Endpoint | undefined {
  const parts = splitHostPort(text);
  if (!parts) return undefined;
  const port = parsePort(parts.port);
  if (port === undefined) return undefined;
  const address = parseIp(parts.host);
  if (parts.bracketed) return address?.family === 6 ? { host: parts.host, port } : undefined;
  if (address || HOSTNAME.test(parts.host)) return { host: parts.host, port };
  return undefined;
}

export function parseIpEndpoint(text: string): IpEndpoint | undefined {
  const parts = splitHostPort(text);
  if (!parts) return undefined;
  const port = parsePort(parts.port);
  const percent = parts.host.indexOf('%');
  const scope = percent < 0 ? undefined : parts.host.slice(percent + 1);
  const address = parseIp(percent < 0 ? parts.host : parts.host.slice(0, percent));
  if (port === undefined || !address || parts.bracketed !== (address.family === 6)) return undefined;
  if (scope === undefined) return { address, port };
  return address.family === 6 && /^[\w.-]{1,15}$/.test(scope) ? { address, port, scope } : undefined;
}

/** The address as the data plane and sockets take it: "fe80::1%eth0" keeps its zone. */
export function endpointHost(endpoint: IpEndpoint): string {
  return endpoint.scope ? `${formatIp(endpoint.address)}%${endpoint.scope}` : formatIp(endpoint.address);
}

export function formatEndpoint(endpoint: Endpoint | IpEndpoint): string {
  const host = 'host' in endpoint ? endpoint.host : endpointHost(endpoint);
  return host.includes(':') ? `[${host}]:${endpoint.port}` : `${host}:${endpoint.port}`;
}
