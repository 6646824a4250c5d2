// Ethernet framing for route mode (a TAP device): frame classification, the MAC that stands for
// a peer, and the ARP replies / IPv6 Neighbour Advertisements the data plane builds itself when
// the kernel asks who owns an address. Pure functions: no state, no I/O.
#pragma once
#include <cstddef>
#include <cstdint>

#include "allowedips.h"

namespace viaguard {

constexpr size_t kEthernetHeaderSize = 14;
constexpr size_t kMacSize6 = 6;
constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
// The longest answer built here: Ethernet + IPv6 + ICMPv6 NA with a target link-layer option.
constexpr size_t kMaxNeighbourReply = kEthernetHeaderSize + 40 + 32;

using Mac = uint64_t;  // 48 bits, first byte on the wire in the most significant position

Mac MacFromBytes(const uint8_t* bytes);
void MacToBytes(Mac mac, uint8_t* out);
inline bool IsGroupMac(const uint8_t* bytes) { return (bytes[0] & 0x01) != 0; }

// The MAC that stands for a peer: the first 6 bytes of BLAKE2s-256(public key), with the
// locally administered bit (0x02) set and the group bit (0x01) cleared in the first byte.
// Stable across restarts and independent of the peer's id; 2^-46 chance of a collision.
Mac PeerMac(const uint8_t publicKey[32]);

// A neighbour lookup the kernel sent out of the interface.
struct NeighbourQuery {
  Family family;
  const uint8_t* target;        // 4 or 16 bytes: the address asked about
  const uint8_t* requesterMac;  // where the answer goes
  const uint8_t* requesterIp;   // 4 or 16 bytes: the asker's address (IPv6: never ::)
};

enum class FrameKind {
  kIp,              // IPv4/IPv6 packet at frame + 14 (ParseIpHeader decides whether it is valid)
  kNeighbourQuery,  // an ARP request or an IPv6 Neighbour Solicitation to answer
  kIgnored,         // an ARP reply, a DAD probe or another frame nobody needs to answer
  kMalformed,       // too short, or a neighbour message with wrong lengths / checksum
};

// Classifies a frame read from the TAP device; fills *query for kNeighbourQuery.
FrameKind ClassifyFrame(const uint8_t* frame, size_t length, NeighbourQuery* query);

// Link-local multicast, which route mode sends to every peer: 224.0.0.0/24 and ff02::/16.
bool IsLinkLocalMulticast(Family family, const uint8_t* destination);

// 0.0.0.0 or ::, the source of packets sent before an address is configured (MLD, DHCP).
bool IsUnspecified(Family family, const uint8_t* address);

// Addresses that a peer's authenticated packets can teach us: fe80::/10 and 169.254.0.0/16.
bool IsLinkLocalUnicast(Family family, const uint8_t* address);

// Writes the answer "query->target is at ownerMac" (an ARP reply, or a solicited, overriding
// Neighbour Advertisement with the target link-layer address option) into out, which holds
// kMaxNeighbourReply bytes. Returns the frame's length.
size_t BuildNeighbourReply(const NeighbourQuery& query, Mac ownerMac, uint8_t* out);

// Writes the 14-byte Ethernet header in front of an IP packet going to the kernel: from the
// peer's MAC to ours, or to the IP multicast MAC when the destination is multicast.
void WriteEthernetHeader(uint8_t* header, Family family, const uint8_t* destinationIp, Mac deviceMac,
                         Mac peerMac);

// The Internet checksum (RFC 1071) of length bytes (an IPv4 header, an ICMPv4 message).
uint16_t InternetChecksum(const uint8_t* data, size_t length);

// The Internet checksum (RFC 1071) of the ICMPv6 message with its IPv6 pseudo-header.
uint16_t Icmpv6Checksum(const uint8_t* source, const uint8_t* destination, const uint8_t* message,
                        size_t length);

}  // namespace viaguard
