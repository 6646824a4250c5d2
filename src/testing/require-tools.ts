// Privileged tests, the demo and benchmarks drive real tools; without one they fail at once with
// the package to install, instead of timing out deep inside a test.
import { findInPath } from '../quick/dns.js';

/** The Debian package (scripts/system-packages.sh) that brings each tool. */
const PACKAGE_OF: Record<string, string> = {
  ip: 'iproute2',
  ping: 'iputils-ping',
  wg: 'wireguard-tools',
  'wg-quick': 'wireguard-tools',
  'wireguard-go': 'wireguard-go',
  tcpdump: 'tcpdump',
  nft: 'nftables',
  iperf3: 'iperf3',
  babeld: 'babeld',
  bird: 'bird2',
  socat: 'socat',
  nc: 'netcat-openbsd',
  chrt: 'util-linux',
};

/** Throws one error naming every tool missing from PATH and the packages that bring them. */
export function requireTools(...tools: string[]): void {
  const missing = tools.filter((tool) => findInPath(tool, process.env) === undefined);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((tool) => PACKAGE_OF[tool] ?? tool))];
  throw new Error(`missing tools: ${missing.join(', ')} (install: sudo apt-get install ${packages.join(' ')}, or sudo scripts/system-packages.sh --install)`);
}
