// Cutting what a TUN/TAP device with offloads hands over (a virtio_net_hdr and a packet, maybe
// a TCP or UDP GSO super-packet of up to 64 KiB) into the packets that go on the wire: each
// segment gets its own IPv4 id/length/header checksum or IPv6 payload length, TCP sequence
// number and flags, UDP length, and a complete transport checksum. A header that disagrees with
// its packet is refused whole, never cut into garbage. Pure functions: no state, no I/O.
#pragma once
#include <cstddef>
#include <cstdint>

#include "allowedips.h"
#include "virtio_net_header.h"

namespace viaguard {

// The longest segment a plan produces (an IP packet's 16-bit total length; TAP adds 14).
constexpr size_t kMaxSegmentLength = 65535;

struct GsoPlan {
  size_t linkLength = 0;  // bytes before the IP header: 0 on TUN, 14 (Ethernet) on TAP
  bool gso = false;       // false: a single packet, completed in place by CompleteChecksum
  // Non-GSO packets: complete the checksum at checksumStart + checksumOffset.
  bool needsChecksum = false;
  size_t checksumStart = 0, checksumOffset = 0;
  // GSO packets:
  Family family = Family::kIpv4;
  uint8_t protocol = 0;  // kIpProtocolTcp or kIpProtocolUdp
  size_t ipHeaderLength = 0, transportHeaderLength = 0;
  size_t headerLength = 0;  // link + IP + transport headers, copied into every segment
  size_t payloadLength = 0;
  size_t segmentPayload = 0;  // gso_size
  size_t segments = 1;
};

enum class PlanResult {
  kOk,
  kBadHeader,  // a virtio_net_hdr we cannot honour (unknown GSO type, checksum outside the packet)
  kBadPacket,  // headers that contradict the virtio_net_hdr or the packet's own length
};

// Checks the virtio_net_hdr against the packet of length bytes and describes how to cut it.
PlanResult PlanSegments(const VirtioNetHeader& header, const uint8_t* packet, size_t length,
                        size_t linkLength, GsoPlan* plan);

// Non-GSO packets: fills in the checksum the sender left to complete (no-op when none is).
void CompleteChecksum(const GsoPlan& plan, uint8_t* packet, size_t length);

// Length of segment index of a GSO plan.
size_t SegmentLength(const GsoPlan& plan, size_t index);

// Writes segment index of a GSO plan into out (room for SegmentLength bytes) and returns its
// length. out may be packet itself for index 0 only, and then only after every other segment
// was written (segment 0 keeps the super-packet's first bytes in place).
size_t WriteSegment(const GsoPlan& plan, const uint8_t* packet, size_t index, uint8_t* out);

}  // namespace viaguard
