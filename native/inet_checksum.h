// The Internet checksum (RFC 1071) of IP, TCP and UDP headers: one's complement sums kept in
// network byte order, folded to 16 bits. Pure functions.
#pragma once
#include <cstddef>
#include <cstdint>

#include "allowedips.h"

namespace viaguard {

// The folded, uncomplemented one's complement sum of length bytes (an odd last byte counts as
// the high byte of a word), added to initial.
uint16_t ChecksumAdd(const uint8_t* data, size_t length, uint16_t initial = 0);

// Sum of the TCP/UDP pseudo-header: addresses, protocol and the transport length.
uint16_t PseudoHeaderSum(Family family, const uint8_t* source, const uint8_t* destination,
                         uint8_t protocol, size_t transportLength);

// The value to store in a checksum field that was zero while sum was taken.
inline uint16_t ChecksumFinish(uint16_t sum) {
  uint16_t value = static_cast<uint16_t>(~sum);
  // 0 and 0xffff are the same one's complement number; UDP reserves 0 for "no checksum".
  return value == 0 ? 0xffff : value;
}

inline uint16_t LoadBe16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t LoadBe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}
inline void StoreBe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void StoreBe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

// Recomputes an IPv4 header's checksum (bytes 10-11) over its headerLength bytes.
void FillIpv4HeaderChecksum(uint8_t* header, size_t headerLength);

}  // namespace viaguard
