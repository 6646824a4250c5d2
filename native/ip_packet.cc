#include "ip_packet.h"

#include "protocol_constants.h"

namespace viaguard {

bool ParseIpHeader(const uint8_t* packet, size_t length, IpHeaderView* out) {
  if (length < 1) return false;
  switch (packet[0] >> 4) {
    case 4: {
      if (length < 20) return false;
      size_t headerLength = static_cast<size_t>(packet[0] & 0x0f) * 4;
      size_t total = static_cast<size_t>(packet[2]) << 8 | packet[3];
      if (headerLength < 20 || total < headerLength || total > length) return false;
      *out = {Family::kIpv4, packet + 12, packet + 16, total};
      return true;
    }
    case 6: {
      if (length < 40) return false;
      size_t total = 40 + (static_cast<size_t>(packet[4]) << 8 | packet[5]);
      if (total > length) return false;
      *out = {Family::kIpv6, packet + 8, packet + 24, total};
      return true;
    }
    default:
      return false;
  }
}

Ipv6UpperLayer FindIpv6UpperLayer(const uint8_t* packet, size_t length) {
  Ipv6UpperLayer upper{packet[6], 40, true, false};
  for (;;) {
    switch (upper.protocol) {
      case 0:    // hop-by-hop options
      case 43:   // routing
      case 60:   // destination options
      case 51:   // authentication header (its length counts 4-byte words, minus 2)
      case 44: {  // fragment
        if (upper.offset + 8 > length) {
          upper.complete = false;
          return upper;
        }
        const uint8_t* header = packet + upper.offset;
        size_t size = upper.protocol == 44   ? 8
                      : upper.protocol == 51 ? (static_cast<size_t>(header[1]) + 2) * 4
                                             : (static_cast<size_t>(header[1]) + 1) * 8;
        if (upper.protocol == 44 && (header[2] << 8 | (header[3] & 0xf8)) != 0) upper.laterFragment = true;
        upper.protocol = header[0];
        upper.offset += size;
        continue;
      }
      default:
        return upper;
    }
  }
}

namespace {

uint32_t Load32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

// Sums are the same whichever way the flow goes; the final mix spreads them over 32 bits
// (MurmurHash3's finalizer).
uint32_t Mix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  return h ^ (h >> 16);
}

}  // namespace

uint32_t SymmetricFlowHash(const uint8_t* packet, size_t length) {
  IpHeaderView header;
  if (!ParseIpHeader(packet, length, &header)) return 0;
  const size_t words = header.family == Family::kIpv4 ? 1 : 4;
  uint32_t addresses = 0;
  for (size_t i = 0; i < words; ++i) {
    addresses += Load32(header.source + 4 * i) + Load32(header.destination + 4 * i);
  }
  uint8_t protocol;
  size_t transport;
  bool laterFragment;
  if (header.family == Family::kIpv4) {
    protocol = packet[9];
    transport = static_cast<size_t>(packet[0] & 0x0f) * 4;
    laterFragment = ((packet[6] & 0x1f) << 8 | packet[7]) != 0;
  } else {
    Ipv6UpperLayer upper = FindIpv6UpperLayer(packet, header.totalLength);
    protocol = upper.complete ? upper.protocol : 0;
    transport = upper.offset;
    laterFragment = upper.laterFragment;
  }
  uint32_t ports = 0;
  // Fragments after the first carry no ports and hash by addresses and protocol alone: they
  // may take another queue than the first, which only orders them among themselves.
  if ((protocol == 6 || protocol == 17) && !laterFragment && transport + 4 <= header.totalLength) {
    const uint8_t* p = packet + transport;
    ports = (static_cast<uint32_t>(p[0]) << 8 | p[1]) + (static_cast<uint32_t>(p[2]) << 8 | p[3]);
  }
  return Mix(Mix(addresses) + (ports << 8 | protocol));
}

size_t PaddedLength(size_t length, size_t mtu) {
  if (length > mtu) return length;
  size_t aligned = (length + kPaddingMultiple - 1) / kPaddingMultiple * kPaddingMultiple;
  return aligned < mtu ? aligned : mtu;
}

}  // namespace viaguard
