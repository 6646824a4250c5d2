// viaguard(8) (rendered by manual.ts): the subcommands come from the COMMANDS table that also
// answers `viaguard --help` and `viaguard COMMAND --help`.
import { COMMANDS } from './commands.js';
import type { Manual } from './manual.js';

export const VIAGUARD_MANUAL: Manual = {
  name: 'viaguard',
  summary: 'configure WireGuard interfaces: wg(8) and wg-quick(8) for viaguardd and wireguard-go',
  synopsis: ['viaguard [COMMAND] [ARGS...]', 'viaguard COMMAND --help', 'viaguard --help | --version'],
  description: [
    'viaguard speaks wg(8)\'s language over the WireGuard userspace API, to viaguardd(8) or to any wireguard-go: show, showconf, set, setconf, addconf, syncconf, genkey, genpsk and pubkey print what wg 1.0.20210914 prints, byte for byte where wg defines it. Without a command it runs "show".',
    'On top: up, down and save do what wg-quick does, over viaguard\'s own rtnetlink client; routes lists every route through an interface with the peer it reaches; watch prints changes as they happen; metrics prints Prometheus counters; strip prints a config without wg-quick\'s keys.',
    'Every failure is one line on stderr, "viaguard: ...", and exit status 1.',
  ],
  options: [
    { flags: '-h, --help, help [COMMAND]', text: 'Print the list of commands, or one command\'s usage, and exit.' },
    { flags: '--version, version', text: 'Print the version and exit.' },
  ],
  commands: COMMANDS,
  environment: [
    { name: 'WG_HIDE_KEYS=never', text: 'show prints private and preshared keys instead of "(hidden)".' },
    { name: 'WG_COLOR_MODE=always|never|auto', text: 'Colours in show\'s listing; by default only on a terminal.' },
    { name: 'WG_ENDPOINT_RESOLUTION_RETRIES', text: 'How often a host name in an endpoint is retried (a number or "infinity"; default 15).' },
    { name: 'WG_QUICK_USERSPACE_IMPLEMENTATION', text: 'The daemon up starts (default viaguardd).' },
    { name: 'VIAGUARD_PEER_SELECTION=allowed-ips|route', text: 'The peer selection of an interface up starts, when its config has no PeerSelection.' },
    { name: 'VIAGUARD_DEBUG=1', text: 'Adds the stack trace of an unexpected error.' },
  ],
  files: [
    { path: '/etc/wireguard/IFACE.conf', text: 'The config of up, down and save when given an interface name.' },
    { path: '/var/run/wireguard/IFACE.sock', text: 'The UAPI sockets of running interfaces.' },
  ],
  exitStatus: '0 on success, 1 on any failure (one line on stderr).',
  seeAlso: ['viaguardd(8)', 'wg(8)', 'wg-quick(8)'],
};
