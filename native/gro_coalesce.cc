#include "gro_coalesce.h"

#include <cstring>

#include "gso_split.h"
#include "inet_checksum.h"

namespace viaguard {

namespace {

constexpr uint8_t kTcpAck = 0x10;
constexpr uint8_t kTcpPsh = 0x08;
constexpr size_t kTableSize = 2 * GroCoalescer::kMaxItems;  // a power of two, load <= 1/2

}  // namespace

struct GroCoalescer::Parsed {
  const uint8_t* packet = nullptr;
  bool hasFlow = false;   // a TCP/UDP packet whose flow is known
  bool joinable = false;  // and may be joined with others of its flow
  Flow flow{};
  Family family = Family::kIpv4;
  uint8_t protocol = 0;
  size_t transportOffset = 0, headerLength = 0, payload = 0;
  uint32_t sequence = 0;
  bool psh = false;
};

bool GroCoalescer::Flow::operator==(const Flow& other) const {
  return std::memcmp(bytes, other.bytes, sizeof bytes) == 0;
}

GroCoalescer::GroCoalescer(size_t linkLength, bool tcp, bool udp, PacketSink* sink)
    : linkLength_(linkLength), tcp_(tcp), udp_(udp), sink_(sink), table_(kTableSize, 0) {
  items_.reserve(kMaxItems);
}

bool GroCoalescer::Parse(const uint8_t* packet, size_t length, Parsed* out) const {
  if (length < linkLength_ + 20) return false;
  const uint8_t* ip = packet + linkLength_;
  const size_t ipLength = length - linkLength_;
  size_t ipHeaderLength;
  bool plainIp;  // no options, extension headers or fragmentation
  Flow& flow = out->flow;
  std::memcpy(flow.bytes, packet, linkLength_);
  uint8_t* at = flow.bytes + 14;
  if (ip[0] >> 4 == 4) {
    ipHeaderLength = static_cast<size_t>(ip[0] & 0x0f) * 4;
    out->family = Family::kIpv4;
    out->protocol = ip[9];
    if (ipHeaderLength < 20 || LoadBe16(ip + 2) != ipLength || ipLength < ipHeaderLength) return false;
    plainIp = ipHeaderLength == 20 && (LoadBe16(ip + 6) & 0x3fff) == 0;
    std::memcpy(at, ip + 12, 8);
  } else if (ip[0] >> 4 == 6) {
    ipHeaderLength = 40;
    out->family = Family::kIpv6;
    out->protocol = ip[6];
    if (ipLength < 40 || LoadBe16(ip + 4) + 40u != ipLength) return false;
    plainIp = true;
    std::memcpy(at, ip + 8, 32);
  } else {
    return false;
  }
  const bool tcp = out->protocol == kIpProtocolTcp;
  if (!tcp && out->protocol != kIpProtocolUdp) return false;
  const uint8_t* l4 = ip + ipHeaderLength;
  const size_t l4Length = ipLength - ipHeaderLength;
  if (l4Length < (tcp ? 20 : kUdpHeaderSize)) return false;
  std::memcpy(at + 32, l4, 4);  // ports
  at[36] = static_cast<uint8_t>(out->family);
  at[37] = out->protocol;
  out->hasFlow = true;
  out->transportOffset = linkLength_ + ipHeaderLength;
  if (!plainIp || !(tcp ? tcp_ : udp_)) return true;

  size_t transportHeader = tcp ? static_cast<size_t>(l4[12] >> 4) * 4 : kUdpHeaderSize;
  if (transportHeader < (tcp ? 20u : kUdpHeaderSize) || transportHeader >= l4Length) return true;
  if (tcp) {
    const uint8_t flags = l4[13];
    if (flags != kTcpAck && flags != (kTcpAck | kTcpPsh)) return true;  // SYN, FIN, RST, URG, ECN
    out->sequence = LoadBe32(l4 + 4);
    out->psh = flags & kTcpPsh;
  } else if (LoadBe16(l4 + 4) != l4Length || LoadBe16(l4 + 6) == 0) {
    return true;  // a UDP length that disagrees, or no checksum to trust
  }
  // The kernel will not check a joined packet's segments again: check each one here.
  const uint8_t* source = out->family == Family::kIpv4 ? ip + 12 : ip + 8;
  const uint8_t* destination = out->family == Family::kIpv4 ? ip + 16 : ip + 24;
  uint16_t sum = PseudoHeaderSum(out->family, source, destination, out->protocol, l4Length);
  if (ChecksumAdd(l4, l4Length, sum) != 0xffff) return true;
  out->headerLength = out->transportOffset + transportHeader;
  out->payload = length - out->headerLength;
  out->joinable = true;
  return true;
}

bool GroCoalescer::CanJoin(const Item& item, const Parsed& p) const {
  if (!item.open || item.headerLength != p.headerLength) return false;
  // Every segment but the last is exactly segmentPayload bytes long.
  if (item.lastPayload != item.segmentPayload || p.payload > item.segmentPayload) return false;
  if (item.length + p.payload - linkLength_ > kMaxSegmentLength) return false;
  const uint8_t* a = (item.merged ? item.merged : item.packet) + linkLength_;
  const uint8_t* b = p.packet + linkLength_;
  if (p.family == Family::kIpv4) {
    // Type of service, flags (DF) and TTL.
    if (a[1] != b[1] || (a[6] >> 5) != (b[6] >> 5) || a[8] != b[8]) return false;
  } else if (std::memcmp(a, b, 4) != 0 || a[7] != b[7]) {  // class, flow label, hop limit
    return false;
  }
  if (p.protocol == kIpProtocolUdp) return item.segments < kMaxUdpSegments;
  const size_t l4 = p.transportOffset - linkLength_;
  // Same acknowledgment, window and options; the sequence continues exactly.
  return p.sequence == item.nextSequence && std::memcmp(a + l4 + 8, b + l4 + 8, 4) == 0 &&
         std::memcmp(a + l4 + 14, b + l4 + 14, 2) == 0 &&
         std::memcmp(a + l4 + 20, b + l4 + 20, p.headerLength - p.transportOffset - 20) == 0;
}

void GroCoalescer::Join(Item& item, const Parsed& p) {
  if (!item.merged) {
    if (buffersUsed_ == buffers_.size()) {
      buffers_.emplace_back(new uint8_t[linkLength_ + kMaxSegmentLength]);
    }
    item.merged = buffers_[buffersUsed_++].get();
    std::memcpy(item.merged, item.packet, item.length);
    ++packetsJoined_;
  }
  std::memcpy(item.merged + item.length, p.packet + p.headerLength, p.payload);
  item.length += p.payload;
  item.lastPayload = p.payload;
  ++item.segments;
  ++packetsJoined_;
  if (p.protocol == kIpProtocolTcp) {
    item.nextSequence += static_cast<uint32_t>(p.payload);
    // PSH ends a merge and stays on the joined packet's header.
    if (p.psh) {
      item.merged[p.transportOffset + 13] |= kTcpPsh;
      item.open = false;
    }
  }
}

void GroCoalescer::Add(const uint8_t* packet, size_t length) {
  if (items_.size() == kMaxItems) Flush();
  Parsed p;
  p.packet = packet;
  const bool known = Parse(packet, length, &p) && p.hasFlow;
  size_t slot = 0;
  if (known) {
    slot = FindSlot(p.flow);
    if (table_[slot] != 0) {
      Item& item = items_[table_[slot] - 1];
      if (p.joinable && CanJoin(item, p)) {
        if (item.merged || buffersUsed_ < kMaxMerges) {
          Join(item, p);
          return;
        }
        Flush();  // out of merge buffers: what is held goes first, this packet starts anew
        slot = FindSlot(p.flow);
      } else {
        item.open = false;  // a later packet joining it would overtake this one
      }
    }
  }
  Item item;
  item.packet = packet;
  item.length = length;
  if (known) {
    item.flow = p.flow;
    item.slot = slot;
    table_[slot] = static_cast<uint32_t>(items_.size() + 1);
  }
  if (p.joinable) {
    item.verified = true;
    item.open = !p.psh;
    item.family = p.family;
    item.protocol = p.protocol;
    item.transportOffset = p.transportOffset;
    item.headerLength = p.headerLength;
    item.segmentPayload = item.lastPayload = p.payload;
    item.nextSequence = p.sequence + static_cast<uint32_t>(p.payload);
  }
  items_.push_back(item);
}

void GroCoalescer::Emit(Item& item) {
  VirtioNetHeader header;
  if (!item.merged) {
    // A checked checksum need not be checked again by the kernel.
    header.flags = item.verified ? kVirtioDataValid : 0;
    sink_->WritePacket(header, item.packet, item.length);
    return;
  }
  uint8_t* ip = item.merged + linkLength_;
  uint8_t* l4 = item.merged + item.transportOffset;
  const size_t ipLength = item.length - linkLength_;
  const size_t l4Length = item.length - item.transportOffset;
  const uint8_t* source;
  const uint8_t* destination;
  if (item.family == Family::kIpv4) {
    StoreBe16(ip + 2, static_cast<uint16_t>(ipLength));
    FillIpv4HeaderChecksum(ip, 20);
    source = ip + 12;
    destination = ip + 16;
  } else {
    StoreBe16(ip + 4, static_cast<uint16_t>(ipLength - 40));
    source = ip + 8;
    destination = ip + 24;
  }
  const bool tcp = item.protocol == kIpProtocolTcp;
  if (!tcp) StoreBe16(l4 + 4, static_cast<uint16_t>(l4Length));
  // NEEDS_CSUM: the field holds the pseudo-header's sum, the kernel adds the rest.
  const size_t checksumOffset = tcp ? kTcpChecksumOffset : kUdpChecksumOffset;
  StoreBe16(l4 + checksumOffset,
            PseudoHeaderSum(item.family, source, destination, item.protocol, l4Length));
  header.flags = kVirtioNeedsChecksum;
  header.gsoType = !tcp ? kGsoUdpL4 : item.family == Family::kIpv4 ? kGsoTcpV4 : kGsoTcpV6;
  header.headerLength = static_cast<uint16_t>(item.headerLength);
  header.gsoSize = static_cast<uint16_t>(item.segmentPayload);
  header.checksumStart = static_cast<uint16_t>(item.transportOffset);
  header.checksumOffset = static_cast<uint16_t>(checksumOffset);
  sink_->WritePacket(header, item.merged, item.length);
}

void GroCoalescer::Flush() {
  for (Item& item : items_) Emit(item);
  for (const Item& item : items_) table_[item.slot] = 0;
  items_.clear();
  buffersUsed_ = 0;
}

size_t GroCoalescer::FindSlot(const Flow& flow) const {
  // FNV-1a over the flow's bytes, then linear probing.
  uint32_t hash = 2166136261u;
  for (uint8_t byte : flow.bytes) hash = (hash ^ byte) * 16777619u;
  size_t slot = hash & (kTableSize - 1);
  while (table_[slot] != 0 && !(items_[table_[slot] - 1].flow == flow)) {
    slot = (slot + 1) & (kTableSize - 1);
  }
  return slot;
}

}  // namespace viaguard
