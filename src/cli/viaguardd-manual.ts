// viaguardd(8) and `viaguardd --help` (rendered by manual.ts). The option parser in viaguardd.ts
// accepts exactly the options listed here (a test holds them together).
import type { Manual } from './manual.js';

export const VIAGUARDD_MANUAL: Manual = {
  name: 'viaguardd',
  summary: 'userspace WireGuard daemon where Linux routing can pick the peer',
  synopsis: ['viaguardd [-f|--foreground] [--peer-selection allowed-ips|route] [--threads N] [--queues N] IFACE', 'viaguardd --help | --version'],
  description: [
    'viaguardd creates the interface IFACE (a TUN device, or a TAP device in route mode) and serves the WireGuard cross-platform userspace API on /var/run/wireguard/IFACE.sock, so wg(8), wg-quick(8) and viaguard(8) configure it as they do wireguard-go: WG_QUICK_USERSPACE_IMPLEMENTATION=viaguardd wg-quick up wg0 works unchanged.',
    'It daemonizes unless told otherwise, and the launching process returns only once the device and the socket exist (exit status 0) or setup failed (exit status 1, one line on stderr). It exits cleanly, removing its socket, on SIGINT or SIGTERM, when the interface is deleted (ip link delete IFACE) and when its socket file is deleted.',
    'In route mode the interface is Ethernet: a route "via G dev IFACE" in any table, chosen by any ip rule, sends the packet to the peer that owns G (in its AllowedIPs, or learnt from its authenticated packets); viaguardd answers ARP and NDP for it with a MAC derived from the peer\'s public key. On the wire nothing changes: the peers are any standard WireGuard.',
    'A set request is applied only when every line is valid; viaguard\'s own get keys (source_check, peer_selection, counters of drops by reason, handshakes, cookie replies, per-peer source_check_drops) follow the standard ones, and a connection that sends watch=1 receives change notifications.',
  ],
  options: [
    { flags: '-f, --foreground', text: 'Stay in the foreground (as WG_PROCESS_FOREGROUND=1).' },
    { flags: '--peer-selection allowed-ips|route', text: 'How the outgoing peer is chosen: by AllowedIPs as every WireGuard (the default), or by the kernel\'s routing decision (a TAP interface). Overrides VIAGUARD_PEER_SELECTION.' },
    { flags: '--threads N', text: 'How many threads seal and open each batch of packets (1 to 256), the transmit and receive threads included; each peer\'s packets keep their order. The default is one per CPU the process may run on. Overrides VIAGUARD_THREADS.' },
    { flags: '--queues N', text: 'How many queues the TUN/TAP device gets (1 to 256), each read by its own transmit thread; the kernel keeps each flow on one queue, so a flow\'s packets keep their order. The default is one per four CPUs the process may run on. A device handed over by WG_TUN_FD without multi-queue has one. Overrides VIAGUARD_QUEUES.' },
    { flags: '-h, --help', text: 'Print this help and exit.' },
    { flags: '-v, --version', text: 'Print the version and exit.' },
  ],
  environment: [
    { name: 'WG_PROCESS_FOREGROUND=1', text: 'Stay in the foreground.' },
    { name: 'VIAGUARD_PEER_SELECTION=allowed-ips|route', text: 'The peer selection, for starters such as wg-quick that pass only the interface name.' },
    { name: 'VIAGUARD_THREADS=N', text: 'The crypto threads, as --threads.' },
    { name: 'VIAGUARD_QUEUES=N', text: 'The packet queues, as --queues.' },
    { name: 'VIAGUARD_AEAD=openssl|ipsec-mb', text: 'The ChaCha20-Poly1305 implementation: OpenSSL\'s EVP, or Intel\'s ipsec-mb where it is built in. The default is the faster one on this CPU (ipsec-mb where it runs its AVX-512 code); a path not available here fails at start.' },
    { name: 'VIAGUARD_TEST_REKEY_AFTER_MESSAGES=N', text: 'For tests only, never in production: renew each session after N messages sent with it instead of 2^60 (REKEY_AFTER_MESSAGES), so rekeying under traffic can be tested in seconds. Logged at start.' },
    { name: 'LOG_LEVEL=verbose|debug|error|silent', text: 'What goes to stderr, one line per event; the daemonized process keeps stdout and stderr only when LOG_LEVEL is set.' },
    { name: 'WG_TUN_FD, WG_UAPI_FD', text: 'An open TUN device and a listening UAPI socket handed down by the caller, as with wireguard-go.' },
  ],
  files: [{ path: '/var/run/wireguard/IFACE.sock', text: 'The UAPI socket (mode 0600).' }],
  exitStatus: '0 once the daemon runs (or, in the foreground, when it stopped cleanly); 1 when setup failed: bad name, no permission, a live daemon already serving IFACE.',
  seeAlso: ['viaguard(8)', 'wg(8)', 'wg-quick(8)', 'wireguard-go(8)'],
};
