// The ICMP/ICMPv6 destination-unreachable answer to a packet the tunnel cannot carry (no peer
// owns its destination, or that peer has no endpoint), as the kernel's WireGuard sends with
// icmp_ndo_send: ICMP type 3 code 1 (host unreachable), ICMPv6 type 1 code 3 (address
// unreachable). Pure functions: no state, no I/O.
//
// Source address: the packet's own (unreachable) destination. The kernel's answer leaves from
// an address of its own, but an answer written into the device arrives at the kernel from
// outside: IPv4 drops a packet arriving with one of the host's own source addresses as a
// martian (unless accept_local), and rp_filter wants the source routed back via the device —
// which the unreachable destination is, by construction.
#pragma once
#include <cstddef>
#include <cstdint>

#include "ethernet.h"

namespace viaguard {

// RFC 1812 §4.3.2.3: an ICMPv4 error is at most 576 bytes; RFC 4443 §2.4(c): an ICMPv6 error
// is at most the IPv6 minimum MTU. Both quote as much of the offending packet as fits.
constexpr size_t kMaxIcmpv4Error = 576;
constexpr size_t kMaxIcmpv6Error = 1280;
// How many answers leave per second, and in a burst: the kernel's defaults for all ICMP errors
// of a namespace (net.ipv4.icmp_msgs_per_sec, icmp_msgs_burst).
constexpr uint64_t kUnreachablePerSecond = 1000;
constexpr uint64_t kUnreachableBurst = 50;
// Room for the longest answer, framed for a TAP device.
constexpr size_t kMaxUnreachableFrame = kEthernetHeaderSize + kMaxIcmpv6Error;

// Writes the destination-unreachable answer to the IP packet of length bytes at packet into
// out (kMaxIcmpv6Error bytes). Returns its length, or 0 when no error may be sent: a packet
// that is not valid IPv4/IPv6, an ICMP error itself (or an ICMP message too short to tell), a
// fragment other than the first, a multicast/broadcast/unspecified destination, or a source
// that names no single host (RFC 1122 §3.2.2, RFC 4443 §2.4(e)).
size_t BuildUnreachable(const uint8_t* packet, size_t length, uint8_t* out);

// The same for a packet that came from a TAP device inside an Ethernet frame whose header is
// at frame (the packet follows it): the answer is framed back to the frame's sender, from the
// MAC the frame was sent to. out holds kMaxUnreachableFrame bytes.
size_t BuildUnreachableFrame(const uint8_t* frame, size_t packetLength, uint8_t* out);

// The same answer for the host stack, after NAT changed the offending packet's source (the
// kernel's icmp_ndo_send / icmpv6_ndo_send): the ICMP/ICMPv6 message alone (the host's own IP
// header goes in front, with the source its route back chooses), its quote's source put back to
// sourceBeforeNat (4 or 16 bytes), the quoted IPv4 header's checksum recomputed for it. The ICMP
// checksum is filled in; the ICMPv6 one is left 0 (a raw ICMPv6 socket computes it). answer is
// what BuildUnreachable wrote (size bytes); out holds size bytes. Returns the message's length,
// or 0 when answer is too short to be one.
size_t BuildUnreachableForHost(const uint8_t* answer, size_t size, const uint8_t* sourceBeforeNat,
                               uint8_t* out);

// Where the quoted packet starts in an answer of BuildUnreachable (its IP and ICMP headers).
size_t UnreachableQuoteOffset(const uint8_t* answer);

}  // namespace viaguard
