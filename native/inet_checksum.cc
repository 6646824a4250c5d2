#include "inet_checksum.h"

#include <cstring>

namespace viaguard {
namespace {

uint16_t Fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

}  // namespace

uint16_t ChecksumAdd(const uint8_t* data, size_t length, uint16_t initial) {
  // Little-endian words summed and byte-swapped once at the end give the big-endian sum
  // (RFC 1071 §2(B)); 32-bit loads into a 64-bit accumulator cannot overflow below 16 GiB.
  uint64_t sum = 0;
  size_t i = 0;
  for (; i + 4 <= length; i += 4) {
    uint32_t word;
    std::memcpy(&word, data + i, 4);
    sum += word;
  }
  for (; i + 2 <= length; i += 2) sum += static_cast<uint64_t>(data[i]) | data[i + 1] << 8;
  if (i < length) sum += data[i];
  uint16_t little = Fold(sum);
  uint16_t big = static_cast<uint16_t>(little << 8 | little >> 8);
  return Fold(static_cast<uint64_t>(big) + initial);
}

uint16_t PseudoHeaderSum(Family family, const uint8_t* source, const uint8_t* destination,
                         uint8_t protocol, size_t transportLength) {
  size_t size = family == Family::kIpv4 ? 4 : 16;
  uint16_t sum = ChecksumAdd(source, size);
  sum = ChecksumAdd(destination, size, sum);
  return Fold(static_cast<uint64_t>(sum) + protocol + (transportLength & 0xffff) +
              (transportLength >> 16));
}

void FillIpv4HeaderChecksum(uint8_t* header, size_t headerLength) {
  header[10] = header[11] = 0;
  StoreBe16(header + 10, static_cast<uint16_t>(~ChecksumAdd(header, headerLength)));
}

}  // namespace viaguard
