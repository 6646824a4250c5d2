#include "ethernet.h"

#include <cstring>

#include "blake2s.h"
#include "inet_checksum.h"

namespace viaguard {
namespace {

constexpr size_t kArpSize = 28;
constexpr size_t kIpv6HeaderSize = 40;
constexpr uint8_t kNextHeaderIcmpv6 = 58;
constexpr uint8_t kIcmpv6NeighbourSolicitation = 135;
constexpr uint8_t kIcmpv6NeighbourAdvertisement = 136;
constexpr size_t kNeighbourMessageSize = 24;  // type, code, checksum, reserved, target
constexpr uint8_t kOptionTargetLinkLayer = 2;
constexpr uint8_t kNaSolicited = 0x40;
constexpr uint8_t kNaOverride = 0x20;
// RFC 4861 §7.1.1: a node drops a Neighbour Solicitation whose hop limit is not 255.
constexpr uint8_t kNdpHopLimit = 255;

bool AllZero(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

void WriteHeader(uint8_t* out, const uint8_t* destination, Mac source, uint16_t type) {
  std::memcpy(out, destination, kMacSize6);
  MacToBytes(source, out + 6);
  StoreBe16(out + 12, type);
}

FrameKind ClassifyArp(const uint8_t* arp, size_t length, NeighbourQuery* query) {
  if (length < kArpSize) return FrameKind::kMalformed;
  if (LoadBe16(arp) != 1 || LoadBe16(arp + 2) != kEtherTypeIpv4 || arp[4] != 6 || arp[5] != 4) {
    return FrameKind::kMalformed;
  }
  const uint8_t* senderIp = arp + 14;
  const uint8_t* targetIp = arp + 24;
  // Replies, probes (sender 0.0.0.0) and gratuitous announcements ask nobody anything.
  if (LoadBe16(arp + 6) != 1 || AllZero(senderIp, 4) || std::memcmp(senderIp, targetIp, 4) == 0) {
    return FrameKind::kIgnored;
  }
  *query = {Family::kIpv4, targetIp, arp + 8, senderIp};
  return FrameKind::kNeighbourQuery;
}

FrameKind ClassifyIpv6(const uint8_t* frame, const uint8_t* ip, size_t length,
                       NeighbourQuery* query) {
  if (length < kIpv6HeaderSize || ip[6] != kNextHeaderIcmpv6) return FrameKind::kIp;
  size_t payload = LoadBe16(ip + 4);
  const uint8_t* icmp = ip + kIpv6HeaderSize;
  if (payload < 1 || kIpv6HeaderSize + payload > length ||
      icmp[0] != kIcmpv6NeighbourSolicitation) {
    return FrameKind::kIp;
  }
  if (payload < kNeighbourMessageSize || ip[7] != kNdpHopLimit || icmp[1] != 0 ||
      Icmpv6Checksum(ip + 8, ip + 24, icmp, payload) != 0) {
    return FrameKind::kMalformed;
  }
  const uint8_t* target = icmp + 8;
  // Duplicate address detection (source ::) must go unanswered, or the kernel would give up
  // its own address; a multicast target is invalid (RFC 4861 §7.1.1).
  if (AllZero(ip + 8, 16)) return FrameKind::kIgnored;
  if (target[0] == 0xff) return FrameKind::kMalformed;
  *query = {Family::kIpv6, target, frame + 6, ip + 8};
  return FrameKind::kNeighbourQuery;
}

}  // namespace

Mac MacFromBytes(const uint8_t* bytes) {
  Mac mac = 0;
  for (size_t i = 0; i < kMacSize6; ++i) mac = mac << 8 | bytes[i];
  return mac;
}

void MacToBytes(Mac mac, uint8_t* out) {
  for (size_t i = 0; i < kMacSize6; ++i) out[i] = static_cast<uint8_t>(mac >> (8 * (5 - i)));
}

Mac PeerMac(const uint8_t publicKey[32]) {
  uint8_t digest[32];
  Blake2s(digest, sizeof digest, nullptr, 0, publicKey, 32);
  digest[0] = static_cast<uint8_t>((digest[0] & ~0x01) | 0x02);
  return MacFromBytes(digest);
}

FrameKind ClassifyFrame(const uint8_t* frame, size_t length, NeighbourQuery* query) {
  if (length < kEthernetHeaderSize) return FrameKind::kMalformed;
  const uint8_t* payload = frame + kEthernetHeaderSize;
  size_t payloadLength = length - kEthernetHeaderSize;
  switch (LoadBe16(frame + 12)) {
    case kEtherTypeIpv4:
      return FrameKind::kIp;
    case kEtherTypeIpv6:
      return ClassifyIpv6(frame, payload, payloadLength, query);
    case kEtherTypeArp:
      return ClassifyArp(payload, payloadLength, query);
    default:
      return FrameKind::kIgnored;
  }
}

bool IsLinkLocalMulticast(Family family, const uint8_t* destination) {
  if (family == Family::kIpv4) {
    return destination[0] == 224 && destination[1] == 0 && destination[2] == 0;
  }
  return destination[0] == 0xff && destination[1] == 0x02;
}

bool IsUnspecified(Family family, const uint8_t* address) {
  return AllZero(address, family == Family::kIpv4 ? 4 : 16);
}

bool IsLinkLocalUnicast(Family family, const uint8_t* address) {
  if (family == Family::kIpv4) return address[0] == 169 && address[1] == 254;
  return address[0] == 0xfe && (address[1] & 0xc0) == 0x80;
}

size_t BuildNeighbourReply(const NeighbourQuery& query, Mac ownerMac, uint8_t* out) {
  uint8_t* body = out + kEthernetHeaderSize;
  if (query.family == Family::kIpv4) {
    WriteHeader(out, query.requesterMac, ownerMac, kEtherTypeArp);
    StoreBe16(body, 1);
    StoreBe16(body + 2, kEtherTypeIpv4);
    body[4] = 6;
    body[5] = 4;
    StoreBe16(body + 6, 2);
    MacToBytes(ownerMac, body + 8);
    std::memcpy(body + 14, query.target, 4);
    std::memcpy(body + 18, query.requesterMac, kMacSize6);
    std::memcpy(body + 24, query.requesterIp, 4);
    return kEthernetHeaderSize + kArpSize;
  }
  constexpr size_t kAdvertisementSize = kNeighbourMessageSize + 8;  // with one 8-byte option
  WriteHeader(out, query.requesterMac, ownerMac, kEtherTypeIpv6);
  uint8_t* ip = body;
  std::memset(ip, 0, kIpv6HeaderSize);
  ip[0] = 0x60;
  StoreBe16(ip + 4, kAdvertisementSize);
  ip[6] = kNextHeaderIcmpv6;
  ip[7] = kNdpHopLimit;
  std::memcpy(ip + 8, query.target, 16);
  std::memcpy(ip + 24, query.requesterIp, 16);
  uint8_t* icmp = ip + kIpv6HeaderSize;
  std::memset(icmp, 0, kAdvertisementSize);
  icmp[0] = kIcmpv6NeighbourAdvertisement;
  icmp[4] = kNaSolicited | kNaOverride;
  std::memcpy(icmp + 8, query.target, 16);
  icmp[24] = kOptionTargetLinkLayer;
  icmp[25] = 1;  // in units of 8 bytes
  MacToBytes(ownerMac, icmp + 26);
  StoreBe16(icmp + 2, Icmpv6Checksum(ip + 8, ip + 24, icmp, kAdvertisementSize));
  return kEthernetHeaderSize + kIpv6HeaderSize + kAdvertisementSize;
}

void WriteEthernetHeader(uint8_t* header, Family family, const uint8_t* destinationIp, Mac deviceMac,
                         Mac peerMac) {
  uint8_t* destination = header;
  if (family == Family::kIpv4 && (destinationIp[0] & 0xf0) == 0xe0) {
    // RFC 1112 §6.4: 01:00:5e and the low 23 bits of the group.
    const uint8_t mapped[kMacSize6] = {0x01, 0x00, 0x5e, static_cast<uint8_t>(destinationIp[1] & 0x7f),
                                       destinationIp[2], destinationIp[3]};
    std::memcpy(destination, mapped, kMacSize6);
  } else if (family == Family::kIpv4 && destinationIp[0] == 255 && destinationIp[1] == 255 &&
             destinationIp[2] == 255 && destinationIp[3] == 255) {
    std::memset(destination, 0xff, kMacSize6);
  } else if (family == Family::kIpv6 && destinationIp[0] == 0xff) {
    // RFC 2464 §7: 33:33 and the low 32 bits of the group.
    destination[0] = 0x33;
    destination[1] = 0x33;
    std::memcpy(destination + 2, destinationIp + 12, 4);
  } else {
    MacToBytes(deviceMac, destination);
  }
  MacToBytes(peerMac, header + 6);
  StoreBe16(header + 12, family == Family::kIpv4 ? kEtherTypeIpv4 : kEtherTypeIpv6);
}

uint16_t InternetChecksum(const uint8_t* data, size_t length) {
  return static_cast<uint16_t>(~ChecksumAdd(data, length));
}

uint16_t Icmpv6Checksum(const uint8_t* source, const uint8_t* destination, const uint8_t* message,
                        size_t length) {
  uint16_t sum = PseudoHeaderSum(Family::kIpv6, source, destination, kNextHeaderIcmpv6, length);
  return static_cast<uint16_t>(~ChecksumAdd(message, length, sum));
}

}  // namespace viaguard
