// Parsing wg(8) config files, the wg-quick(8) superset and viaguard's own [Interface] keys.
// Rules follow wireguard-tools src/config.c: everything from '#' on is a comment; for wg's keys
// every whitespace character in the line is dropped before matching (so "Listen Port = 1" is
// ListenPort), keys and section names are case-insensitive, and a later value replaces an
// earlier one except AllowedIPs, which accumulate. wg-quick's keys (src/wg-quick/linux.bash
// parse_options) are matched on the trimmed key and keep the inner whitespace of their value.
// Errors are ConfigErrors naming file:line:key; a parse either returns everything or throws.
import { parseIp, parsePrefix, type IpAddress, type IpPrefix } from '../net/ip.js';
import { ConfigError } from './config-error.js';
import { parseEndpoint, parsePort, type Endpoint } from './endpoint.js';
import { keyFromBase64 } from './keys.js';
import { suggest } from './suggest.js';

export type PeerSelection = 'allowed-ips' | 'route';
export type SourceCheck = 'allowed-ips' | 'route' | 'off';
export const PEER_SELECTIONS: readonly PeerSelection[] = ['allowed-ips', 'route'];
export const SOURCE_CHECKS: readonly SourceCheck[] = ['allowed-ips', 'route', 'off'];

export interface InterfaceConfig {
  // wg(8)
  privateKey?: Uint8Array;
  listenPort?: number;
  /** 0 means off. */
  fwMark?: number;
  // wg-quick(8)
  /** Addresses with their prefix length; host bits are kept (they are the address). */
  addresses: IpPrefix[];
  dns: IpAddress[];
  dnsSearch: string[];
  mtu?: number;
  /** "off", "auto", a table number or a name from rt_tables. */
  table?: string;
  preUp: string[];
  postUp: string[];
  preDown: string[];
  postDown: string[];
  saveConfig?: boolean;
  // viaguard
  peerSelection?: PeerSelection;
  sourceCheck?: SourceCheck;
}

export interface PeerConfig {
  publicKey: Uint8Array;
  presharedKey?: Uint8Array;
  allowedIps: IpPrefix[];
  endpoint?: Endpoint;
  /** Seconds; 0 means off. */
  persistentKeepalive?: number;
}

export interface WgConfig {
  interface: InterfaceConfig;
  peers: PeerConfig[];
}

export interface ParseOptions {
  /** Named in error messages; default "<config>". */
  file?: string;
  /** Accept wg-quick's keys (Address, DNS, ...). False behaves like `wg setconf`. Default true. */
  wgQuick?: boolean;
}

export type KeyGroup = 'wg' | 'wg-quick' | 'viaguard';
export type Section = 'interface' | 'peer';

const SECTION_HEADERS: Record<Section, string> = { interface: '[Interface]', peer: '[Peer]' };

// Canonical key spellings by section and group; matching is case-insensitive.
const KEYS: Record<Section, Record<KeyGroup, readonly string[]>> = {
  interface: {
    wg: ['PrivateKey', 'ListenPort', 'FwMark'],
    'wg-quick': ['Address', 'DNS', 'MTU', 'Table', 'PreUp', 'PostUp', 'PreDown', 'PostDown', 'SaveConfig'],
    viaguard: ['PeerSelection', 'SourceCheck'],
  },
  peer: {
    wg: ['PublicKey', 'PresharedKey', 'AllowedIPs', 'Endpoint', 'PersistentKeepalive'],
    'wg-quick': [],
    viaguard: [],
  },
};

/** One meaningful line of a config file, as the parser understood it. */
export type ConfigLine =
  | { line: number; text: string; kind: 'section'; section: Section }
  | { line: number; text: string; kind: 'entry'; section: Section; group: KeyGroup; key: string; written: string; value: string };

const SPACE = /[ \t\n\v\f\r]/g;

/**
 * Splits a config file into section headers and entries (blank and comment-only lines are left
 * out), recognising every key. Values are not checked here.
 */
export function scanConfigLines(text: string, file = '<config>'): ConfigLine[] {
  const result: ConfigLine[] = [];
  let section: Section | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const hash = raw.indexOf('#');
    const stripped = hash < 0 ? raw : raw.slice(0, hash);
    const compact = stripped.replace(SPACE, '');
    if (compact === '') return;
    if (compact.startsWith('[')) {
      section = sectionOf(compact, file, line);
      result.push({ line, text: raw, kind: 'section', section });
      return;
    }
    const eq = stripped.indexOf('=');
    if (eq < 0) throw new ConfigError({ file, line, got: stripped.trim() }, `expected "Key = Value" or a section header, got ${JSON.stringify(stripped.trim())}`);
    const written = stripped.slice(0, eq).trim();
    if (!section) throw new ConfigError({ file, line, key: written }, `${written}: appears before any [Interface] or [Peer] section`);
    const quickKey = findKey(KEYS[section]['wg-quick'], written);
    if (quickKey) {
      result.push({ line, text: raw, kind: 'entry', section, group: 'wg-quick', key: quickKey, written, value: stripped.slice(eq + 1).trim() });
      return;
    }
    const compactKey = written.replace(SPACE, '');
    const value = stripped.slice(eq + 1).replace(SPACE, '');
    for (const group of ['wg', 'viaguard'] as const) {
      const key = findKey(KEYS[section][group], compactKey);
      if (key) {
        result.push({ line, text: raw, kind: 'entry', section, group, key, written, value });
        return;
      }
    }
    throw unknownKey(file, line, section, compactKey);
  });
  return result;
}

function findKey(candidates: readonly string[], written: string): string | undefined {
  const lower = written.toLowerCase();
  return candidates.find((candidate) => candidate.toLowerCase() === lower);
}

function sectionOf(compact: string, file: string, line: number): Section {
  const lower = compact.toLowerCase();
  for (const section of ['interface', 'peer'] as const) {
    if (lower === SECTION_HEADERS[section].toLowerCase()) return section;
  }
  const hint = suggest(compact, Object.values(SECTION_HEADERS));
  throw new ConfigError({ file, line, key: compact }, `unknown section ${JSON.stringify(compact)}${hint ? ` (did you mean "${hint}"?)` : ''}`);
}

function unknownKey(file: string, line: number, section: Section, key: string): ConfigError {
  const other: Section = section === 'interface' ? 'peer' : 'interface';
  const elsewhere = Object.values(KEYS[other]).flat();
  const misplaced = findKey(elsewhere, key);
  if (misplaced) {
    return new ConfigError({ file, line, key }, `${misplaced}: belongs in ${SECTION_HEADERS[other]}, not in ${SECTION_HEADERS[section]}`);
  }
  const hint = suggest(key, Object.values(KEYS[section]).flat());
  return new ConfigError({ file, line, key }, `unknown key ${JSON.stringify(key)}${hint ? ` (did you mean "${hint}"?)` : ''}`);
}

function emptyInterface(): InterfaceConfig {
  return { addresses: [], dns: [], dnsSearch: [], preUp: [], postUp: [], preDown: [], postDown: [] };
}

/** Parses a wg or wg-quick config file. Throws ConfigError; never returns a partial config. */
export function parseWgConfig(text: string, options: ParseOptions = {}): WgConfig {
  const file = options.file ?? '<config>';
  const allowWgQuick = options.wgQuick ?? true;
  const config: WgConfig = { interface: emptyInterface(), peers: [] };
  let peer: { config: Partial<PeerConfig> & { allowedIps: IpPrefix[] }; line: number } | undefined;
  const finishPeer = () => {
    if (!peer) return;
    const { publicKey, ...rest } = peer.config;
    if (!publicKey) throw new ConfigError({ file, line: peer.line, key: '[Peer]' }, '[Peer]: this section has no PublicKey');
    config.peers.push({ publicKey, ...rest });
    peer = undefined;
  };

  for (const entry of scanConfigLines(text, file)) {
    if (entry.kind === 'section') {
      finishPeer();
      if (entry.section === 'peer') peer = { config: { allowedIps: [] }, line: entry.line };
      continue;
    }
    const fail = (expected: string) => new ConfigError({ file, line: entry.line, key: entry.written, expected, got: entry.value });
    if (entry.group === 'wg-quick' && !allowWgQuick) {
      throw new ConfigError({ file, line: entry.line, key: entry.written }, `${entry.written}: a wg-quick key, which wg setconf does not accept (strip it with "wg-quick strip")`);
    }
    if (entry.section === 'interface') applyInterfaceKey(config.interface, entry.key, entry.value, fail);
    else applyPeerKey(peer!.config, entry.key, entry.value, fail);
  }
  finishPeer();
  return config;
}

type Fail = (expected: string) => ConfigError;

function applyInterfaceKey(target: InterfaceConfig, key: string, value: string, fail: Fail): void {
  switch (key) {
    case 'PrivateKey':
      target.privateKey = keyFromBase64(value) ?? throwIt(fail('a base64 key of 32 bytes'));
      return;
    case 'ListenPort':
      target.listenPort = parsePort(value) ?? throwIt(fail('a port 0-65535'));
      return;
    case 'FwMark':
      target.fwMark = parseFwMark(value) ?? throwIt(fail('"off" or a mark 0-0xffffffff'));
      return;
    case 'Address':
      for (const item of listItems(value)) target.addresses.push(parsePrefix(item) ?? throwIt(fail('IP addresses with optional /prefix-length')));
      return;
    case 'DNS':
      for (const item of listItems(value)) {
        // wg-quick's own test: digits and dots, or anything with a colon, is a server address.
        if (/^[0-9.]+$/.test(item) || item.includes(':')) target.dns.push(parseIp(item) ?? throwIt(fail('DNS server addresses or search domains')));
        else if (/^[A-Za-z0-9_.-]+$/.test(item)) target.dnsSearch.push(item);
        else throw fail('DNS server addresses or search domains');
      }
      return;
    case 'MTU': {
      const mtu = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
      if (!(mtu >= 68 && mtu <= 65535)) throw fail('an MTU 68-65535');
      target.mtu = mtu;
      return;
    }
    case 'Table':
      if (!/^[A-Za-z0-9_.-]+$/.test(value)) throw fail('"off", "auto", a table number or name');
      target.table = value;
      return;
    case 'PreUp':
    case 'PostUp':
    case 'PreDown':
    case 'PostDown':
      target[hookField(key)].push(value);
      return;
    case 'SaveConfig': {
      const lower = value.toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw fail('true or false');
      target.saveConfig = lower === 'true';
      return;
    }
    case 'PeerSelection':
      target.peerSelection = oneOf(value, PEER_SELECTIONS) ?? throwIt(fail(PEER_SELECTIONS.join(' or ')));
      return;
    case 'SourceCheck':
      target.sourceCheck = oneOf(value, SOURCE_CHECKS) ?? throwIt(fail(SOURCE_CHECKS.join(', ')));
      return;
  }
}

function applyPeerKey(target: Partial<PeerConfig> & { allowedIps: IpPrefix[] }, key: string, value: string, fail: Fail): void {
  switch (key) {
    case 'PublicKey':
      target.publicKey = keyFromBase64(value) ?? throwIt(fail('a base64 key of 32 bytes'));
      return;
    case 'PresharedKey':
      target.presharedKey = keyFromBase64(value) ?? throwIt(fail('a base64 key of 32 bytes'));
      return;
    case 'AllowedIPs':
      for (const item of value.split(',')) target.allowedIps.push(parsePrefix(item) ?? throwIt(fail('a comma-separated list of IP prefixes')));
      return;
    case 'Endpoint':
      target.endpoint = parseEndpoint(value) ?? throwIt(fail('host:port or [IPv6]:port'));
      return;
    case 'PersistentKeepalive':
      target.persistentKeepalive = parseKeepalive(value) ?? throwIt(fail('"off" or seconds 0-65535'));
      return;
  }
}

function hookField(key: 'PreUp' | 'PostUp' | 'PreDown' | 'PostDown'): 'preUp' | 'postUp' | 'preDown' | 'postDown' {
  return `${key[0].toLowerCase()}${key.slice(1)}` as 'preUp' | 'postUp' | 'preDown' | 'postDown';
}

function throwIt(error: Error): never {
  throw error;
}

/** wg-quick splits list values on commas and whitespace alike. */
function listItems(value: string): string[] {
  return value.split(/[\s,]+/).filter((item) => item !== '');
}

function oneOf<T extends string>(value: string, choices: readonly T[]): T | undefined {
  return choices.find((choice) => choice === value.toLowerCase());
}

/** wg's parse_fwmark: "off", decimal, or hex with a lowercase "0x"; at most 32 bits. */
export function parseFwMark(value: string): number | undefined {
  if (value.toLowerCase() === 'off') return 0;
  if (!/^(\d+|0x[0-9a-fA-F]+)$/.test(value)) return undefined;
  const mark = value.startsWith('0x') ? parseInt(value.slice(2), 16) : Number(value);
  return mark <= 0xffffffff ? mark : undefined;
}

/** wg's parse_persistent_keepalive: "off" or decimal 0-65535. */
export function parseKeepalive(value: string): number | undefined {
  if (value.toLowerCase() === 'off') return 0;
  if (!/^\d+$/.test(value)) return undefined;
  const seconds = Number(value);
  return seconds <= 65535 ? seconds : undefined;
}
