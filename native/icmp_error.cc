#include "icmp_error.h"

#include <algorithm>
#include <cstring>

#include "inet_checksum.h"
#include "ip_packet.h"

namespace viaguard {
namespace {

constexpr size_t kIpv4HeaderSize = 20;
constexpr size_t kIpv6HeaderSize = 40;
constexpr size_t kIcmpHeaderSize = 8;  // type, code, checksum, 4 unused bytes
constexpr uint8_t kProtocolIcmp = 1;
constexpr uint8_t kNextHeaderIcmpv6 = 58;
constexpr uint8_t kIcmpDestinationUnreachable = 3;
constexpr uint8_t kIcmpHostUnreachable = 1;
constexpr uint8_t kIcmpv6DestinationUnreachable = 1;
constexpr uint8_t kIcmpv6AddressUnreachable = 3;
constexpr uint8_t kIcmpv6InformationalMask = 0x80;  // types 128..255 are informational
constexpr uint8_t kHopLimit = 64;
// Kernel icmp.c: an error's TOS keeps the packet's TOS bits under precedence "internetwork control".
constexpr uint8_t kTosMask = 0x1e;
constexpr uint8_t kPrecedenceInternetControl = 0xc0;

uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
void Store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// ICMPv4 types that are errors (RFC 792: unreachable, source quench, redirect, time exceeded,
// parameter problem); kernel icmp.c answers none of them, nor a type it does not know (> 18).
bool IsIcmpv4ErrorOrUnknown(uint8_t type) {
  return type > 18 || type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

// An IPv4 address that names no single host as a source: 0/8, 127/8, 224/4 and above.
bool IsIpv4NonHostSource(const uint8_t* a) { return a[0] == 0 || a[0] == 127 || a[0] >= 224; }

bool IsIpv4NonUnicastDestination(const uint8_t* a) {
  bool broadcast = a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255;
  bool zero = a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0;
  return (a[0] & 0xf0) == 0xe0 || broadcast || zero;
}

size_t BuildIpv4(const uint8_t* packet, size_t length, uint8_t* out) {
  if (length < kIpv4HeaderSize) return 0;
  size_t headerLength = static_cast<size_t>(packet[0] & 0x0f) * 4;
  size_t total = Load16(packet + 2);
  if (headerLength < kIpv4HeaderSize || total < headerLength || total > length) return 0;
  if ((Load16(packet + 6) & 0x1fff) != 0) return 0;  // not the first fragment
  const uint8_t* source = packet + 12;
  const uint8_t* destination = packet + 16;
  if (IsIpv4NonHostSource(source) || IsIpv4NonUnicastDestination(destination)) return 0;
  if (packet[9] == kProtocolIcmp) {
    if (total < headerLength + 1 || IsIcmpv4ErrorOrUnknown(packet[headerLength])) return 0;
  }
  size_t quoted = std::min(total, kMaxIcmpv4Error - kIpv4HeaderSize - kIcmpHeaderSize);
  size_t size = kIpv4HeaderSize + kIcmpHeaderSize + quoted;

  uint8_t* icmp = out + kIpv4HeaderSize;
  icmp[0] = kIcmpDestinationUnreachable;
  icmp[1] = kIcmpHostUnreachable;
  std::memset(icmp + 2, 0, 6);  // checksum, then unused (no next-hop MTU: not "fragmentation needed")
  std::memcpy(icmp + kIcmpHeaderSize, packet, quoted);
  Store16(icmp + 2, InternetChecksum(icmp, kIcmpHeaderSize + quoted));

  std::memset(out, 0, kIpv4HeaderSize);
  out[0] = 0x45;
  out[1] = static_cast<uint8_t>((packet[1] & kTosMask) | kPrecedenceInternetControl);
  Store16(out + 2, static_cast<uint16_t>(size));
  out[8] = kHopLimit;
  out[9] = kProtocolIcmp;
  std::memcpy(out + 12, destination, 4);
  std::memcpy(out + 16, source, 4);
  Store16(out + 10, InternetChecksum(out, kIpv4HeaderSize));
  return size;
}

bool IsIpv6Unspecified(const uint8_t* a) {
  for (int i = 0; i < 16; ++i) {
    if (a[i] != 0) return false;
  }
  return true;
}

bool IsIpv6Loopback(const uint8_t* a) {
  for (int i = 0; i < 15; ++i) {
    if (a[i] != 0) return false;
  }
  return a[15] == 1;
}

// False when the packet must not be answered: a fragment other than the first, or an ICMPv6
// error (or one too short to tell).
bool Ipv6Answerable(const uint8_t* packet, size_t total) {
  Ipv6UpperLayer upper = FindIpv6UpperLayer(packet, total);
  if (upper.laterFragment) return false;
  if (!upper.complete || upper.protocol != kNextHeaderIcmpv6) return true;  // truncated: nothing more to learn
  return upper.offset < total && (packet[upper.offset] & kIcmpv6InformationalMask) != 0;
}

size_t BuildIpv6(const uint8_t* packet, size_t length, uint8_t* out) {
  if (length < kIpv6HeaderSize) return 0;
  size_t total = kIpv6HeaderSize + Load16(packet + 4);
  if (total > length) return 0;
  const uint8_t* source = packet + 8;
  const uint8_t* destination = packet + 24;
  if (destination[0] == 0xff || IsIpv6Unspecified(destination)) return 0;
  if (source[0] == 0xff || IsIpv6Unspecified(source) || IsIpv6Loopback(source)) return 0;
  if (!Ipv6Answerable(packet, total)) return 0;
  size_t quoted = std::min(total, kMaxIcmpv6Error - kIpv6HeaderSize - kIcmpHeaderSize);
  size_t payload = kIcmpHeaderSize + quoted;

  std::memset(out, 0, kIpv6HeaderSize);
  out[0] = 0x60;
  Store16(out + 4, static_cast<uint16_t>(payload));
  out[6] = kNextHeaderIcmpv6;
  out[7] = kHopLimit;
  std::memcpy(out + 8, destination, 16);
  std::memcpy(out + 24, source, 16);

  uint8_t* icmp = out + kIpv6HeaderSize;
  icmp[0] = kIcmpv6DestinationUnreachable;
  icmp[1] = kIcmpv6AddressUnreachable;
  std::memset(icmp + 2, 0, 6);
  std::memcpy(icmp + kIcmpHeaderSize, packet, quoted);
  Store16(icmp + 2, Icmpv6Checksum(out + 8, out + 24, icmp, payload));
  return kIpv6HeaderSize + payload;
}

}  // namespace

size_t BuildUnreachable(const uint8_t* packet, size_t length, uint8_t* out) {
  if (length < 1) return 0;
  switch (packet[0] >> 4) {
    case 4:
      return BuildIpv4(packet, length, out);
    case 6:
      return BuildIpv6(packet, length, out);
    default:
      return 0;
  }
}

size_t UnreachableQuoteOffset(const uint8_t* answer) {
  return ((answer[0] >> 4) == 4 ? kIpv4HeaderSize : kIpv6HeaderSize) + kIcmpHeaderSize;
}

size_t BuildUnreachableForHost(const uint8_t* answer, size_t size, const uint8_t* sourceBeforeNat,
                               uint8_t* out) {
  if (size < kIpv4HeaderSize) return 0;
  const bool v4 = (answer[0] >> 4) == 4;
  const size_t quoteAt = UnreachableQuoteOffset(answer);
  const size_t quoteHeader = v4 ? static_cast<size_t>(answer[quoteAt] & 0x0f) * 4 : kIpv6HeaderSize;
  if (size < quoteAt + quoteHeader || quoteHeader < kIpv4HeaderSize) return 0;
  const size_t icmpAt = quoteAt - kIcmpHeaderSize;
  const size_t length = size - icmpAt;
  std::memcpy(out, answer + icmpAt, length);
  uint8_t* quote = out + kIcmpHeaderSize;
  Store16(out + 2, 0);
  if (v4) {
    std::memcpy(quote + 12, sourceBeforeNat, 4);
    FillIpv4HeaderChecksum(quote, quoteHeader);
    Store16(out + 2, InternetChecksum(out, length));
  } else {
    std::memcpy(quote + 8, sourceBeforeNat, 16);
  }
  return length;
}

size_t BuildUnreachableFrame(const uint8_t* frame, size_t packetLength, uint8_t* out) {
  size_t size = BuildUnreachable(frame + kEthernetHeaderSize, packetLength, out + kEthernetHeaderSize);
  if (size == 0) return 0;
  std::memcpy(out, frame + kMacSize6, kMacSize6);  // back to the sender
  std::memcpy(out + kMacSize6, frame, kMacSize6);  // from the MAC it asked for
  Store16(out + 12, (out[kEthernetHeaderSize] >> 4) == 4 ? kEtherTypeIpv4 : kEtherTypeIpv6);
  return kEthernetHeaderSize + size;
}

}  // namespace viaguard
