#include "gso_split.h"

#include <cstring>

#include "ethernet.h"
#include "inet_checksum.h"

namespace viaguard {
namespace {

constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpPsh = 0x08;
constexpr uint8_t kTcpCwr = 0x80;

PlanResult PlanNonGso(const VirtioNetHeader& header, size_t length, GsoPlan* plan) {
  if (!(header.flags & kVirtioNeedsChecksum)) return PlanResult::kOk;
  size_t start = header.checksumStart, offset = header.checksumOffset;
  if (start < plan->linkLength || start + offset + 2 > length) return PlanResult::kBadHeader;
  plan->needsChecksum = true;
  plan->checksumStart = start;
  plan->checksumOffset = offset;
  return PlanResult::kOk;
}

}  // namespace

PlanResult PlanSegments(const VirtioNetHeader& header, const uint8_t* packet, size_t length,
                        size_t linkLength, GsoPlan* plan) {
  *plan = GsoPlan{};
  plan->linkLength = linkLength;
  if (length < linkLength) return PlanResult::kBadPacket;
  const uint8_t gsoType = header.gsoType & static_cast<uint8_t>(~kGsoEcnBit);
  if (gsoType == kGsoNone) return PlanNonGso(header, length, plan);
  if (gsoType != kGsoTcpV4 && gsoType != kGsoTcpV6 && gsoType != kGsoUdpL4) {
    return PlanResult::kBadHeader;
  }
  if (!(header.flags & kVirtioNeedsChecksum) || header.gsoSize == 0) return PlanResult::kBadHeader;

  const uint8_t* ip = packet + linkLength;
  const size_t ipLength = length - linkLength;
  if (ipLength < 20) return PlanResult::kBadPacket;
  const unsigned version = ip[0] >> 4;
  if (linkLength == kEthernetHeaderSize &&
      LoadBe16(packet + 12) != (version == 4 ? kEtherTypeIpv4 : kEtherTypeIpv6)) {
    return PlanResult::kBadPacket;
  }
  if (version == 4) {
    plan->family = Family::kIpv4;
    plan->ipHeaderLength = static_cast<size_t>(ip[0] & 0x0f) * 4;
    plan->protocol = ip[9];
    // Fragments (MF or an offset) cannot be GSO; the header's length must be the packet's.
    if (plan->ipHeaderLength < 20 || LoadBe16(ip + 2) != ipLength || (LoadBe16(ip + 6) & 0x3fff)) {
      return PlanResult::kBadPacket;
    }
  } else if (version == 6) {
    plan->family = Family::kIpv6;
    plan->ipHeaderLength = 40;
    plan->protocol = ip[6];  // extension headers are not cut: their protocol is not TCP/UDP
    if (ipLength < 40 || LoadBe16(ip + 4) + 40u != ipLength) return PlanResult::kBadPacket;
  } else {
    return PlanResult::kBadPacket;
  }
  const bool tcp = gsoType != kGsoUdpL4;
  if (tcp && (gsoType == kGsoTcpV4) != (version == 4)) return PlanResult::kBadPacket;
  if (plan->protocol != (tcp ? kIpProtocolTcp : kIpProtocolUdp)) return PlanResult::kBadPacket;

  const size_t transport = linkLength + plan->ipHeaderLength;
  if (header.checksumStart != transport ||
      header.checksumOffset != (tcp ? kTcpChecksumOffset : kUdpChecksumOffset)) {
    return PlanResult::kBadHeader;
  }
  if (length < transport + (tcp ? 20 : kUdpHeaderSize)) return PlanResult::kBadPacket;
  if (tcp) {
    plan->transportHeaderLength = static_cast<size_t>(packet[transport + 12] >> 4) * 4;
    if (plan->transportHeaderLength < 20) return PlanResult::kBadPacket;
  } else {
    plan->transportHeaderLength = kUdpHeaderSize;
    if (LoadBe16(packet + transport + 4) != length - transport) return PlanResult::kBadPacket;
  }
  // hdr_len is not trusted (kernels have set it wrong): the headers found here count.
  plan->headerLength = transport + plan->transportHeaderLength;
  if (plan->headerLength >= length) return PlanResult::kBadPacket;
  plan->payloadLength = length - plan->headerLength;
  plan->segmentPayload = header.gsoSize;
  if (plan->headerLength - linkLength + plan->segmentPayload > kMaxSegmentLength) {
    return PlanResult::kBadHeader;
  }
  plan->segments = (plan->payloadLength + plan->segmentPayload - 1) / plan->segmentPayload;
  plan->gso = true;
  return PlanResult::kOk;
}

void CompleteChecksum(const GsoPlan& plan, uint8_t* packet, size_t length) {
  if (!plan.needsChecksum) return;
  // The field holds the pseudo-header's sum: the sum of everything from checksumStart on.
  uint8_t* field = packet + plan.checksumStart + plan.checksumOffset;
  uint16_t sum = ChecksumAdd(packet + plan.checksumStart, length - plan.checksumStart);
  StoreBe16(field, ChecksumFinish(sum));
}
size_t SegmentLength(const GsoPlan& plan, size_t index) {
  size_t offset = index * plan.segmentPayload;
  size_t payload = plan.payloadLength - offset < plan.segmentPayload ? plan.payloadLength - offset
                                                                     : plan.segmentPayload;
  return plan.headerLength + payload;
}

size_t WriteSegment(const GsoPlan& plan, const uint8_t* packet, size_t index, uint8_t* out) {
  const size_t length = SegmentLength(plan, index);
  const size_t payload = length - plan.headerLength;
  if (out != packet) {
    std::memcpy(out, packet, plan.headerLength);
    std::memcpy(out + plan.headerLength,
                packet + plan.headerLength + index * plan.segmentPayload, payload);
  }
  uint8_t* ip = out + plan.linkLength;
  uint8_t* l4 = ip + plan.ipHeaderLength;
  const size_t transportLength = plan.transportHeaderLength + payload;
  const uint8_t* source;
  const uint8_t* destination;
  if (plan.family == Family::kIpv4) {
    StoreBe16(ip + 2, static_cast<uint16_t>(plan.ipHeaderLength + transportLength));
    StoreBe16(ip + 4, static_cast<uint16_t>(LoadBe16(ip + 4) + index));
    FillIpv4HeaderChecksum(ip, plan.ipHeaderLength);
    source = ip + 12;
    destination = ip + 16;
  } else {
    StoreBe16(ip + 4, static_cast<uint16_t>(transportLength));
    source = ip + 8;
    destination = ip + 24;
  }
  size_t checksumAt;
  if (plan.protocol == kIpProtocolTcp) {
    StoreBe32(l4 + 4, static_cast<uint32_t>(LoadBe32(l4 + 4) + index * plan.segmentPayload));
    if (index + 1 != plan.segments) l4[13] &= static_cast<uint8_t>(~(kTcpFin | kTcpPsh));
    if (index != 0) l4[13] &= static_cast<uint8_t>(~kTcpCwr);
    checksumAt = kTcpChecksumOffset;
  } else {
    StoreBe16(l4 + 4, static_cast<uint16_t>(transportLength));
    checksumAt = kUdpChecksumOffset;
  }
  l4[checksumAt] = l4[checksumAt + 1] = 0;
  uint16_t sum = PseudoHeaderSum(plan.family, source, destination, plan.protocol, transportLength);
  StoreBe16(l4 + checksumAt, ChecksumFinish(ChecksumAdd(l4, transportLength, sum)));
  return length;
}

}  // namespace viaguard
