// Logs the data plane's drops, at most one line per interval: how many packets were dropped
// since the last line and why (a gateway no peer owns, a peer without an endpoint, a spoofed
// source...). The per-packet path only counts; this turns the counts into words.
import type { Logger } from '../log.js';
import type { DeviceEngine } from './engine.js';

export const DROP_REASONS: Record<string, string> = {
  droppedNoRouteToPeer: 'destination in no peer\'s AllowedIPs',
  droppedNoEndpoint: 'peer has no endpoint',
  droppedSourceCheck: 'source not allowed from that peer (source check)',
  droppedBadFrame: 'malformed frame or ARP/NDP message',
  droppedUnknownMac: 'frame to a MAC that stands for no peer',
  droppedMulticast: 'multicast or broadcast beyond link-local groups',
  droppedSourcePending: 'too many packets awaiting a route source verdict',
  droppedBadOffload: 'a super-packet from the device whose virtio_net_hdr disagrees with it',
  neighbourUnanswered: 'ARP/NDP for an address no peer owns (a gateway or on-link destination without owner)',
  droppedBadInnerHeader: 'not an IPv4/IPv6 packet',
  droppedStagedOverflow: 'too many packets waiting for a handshake',
  droppedTunWriteFailed: 'the device refused a received packet',
  droppedSendFailed: 'the UDP socket refused a datagram',
  droppedOverPathMtu: 'datagram larger than the path MTU (never fragmented; a routing loop?)',
  unreachableRateLimited: 'ICMP unreachable answers over the rate limit (not sent)',
  unreachableHostSendFailed: 'ICMP unreachable answers to NATed packets the host stack refused to send',
};

export interface DropLog {
  close(): void;
}

/** Summarises counters that grew, every intervalMs (default 10 s), at the verbose level. */
export function logDrops(device: DeviceEngine, log: Logger, intervalMs = 10_000): DropLog {
  let last = device.counters();
  const timer = setInterval(() => {
    if (device.closed) return;
    const now = device.counters();
    const grown = Object.keys(DROP_REASONS)
      .map((name) => [name, (now[name] ?? 0) - (last[name] ?? 0)] as const)
      .filter(([, delta]) => delta > 0);
    last = now;
    if (grown.length === 0) return;
    log.verbose(`in the last ${intervalMs / 1000} s: ${grown.map(([name, delta]) => `${delta} × ${DROP_REASONS[name]} (${name})`).join('; ')}`);
  }, intervalMs).unref();
  return { close: () => clearInterval(timer) };
}
