// An IPv4 or IPv6 address as a hashable value: the key of the learnt-address table and of the
// source verdict cache.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "allowedips.h"

namespace viaguard {

struct AddressKey {
  Family family = Family::kIpv4;
  uint8_t bytes[16] = {};  // IPv4 in the first 4, the rest zero

  AddressKey() = default;
  AddressKey(Family f, const uint8_t* address) : family(f) {
    std::memcpy(bytes, address, f == Family::kIpv4 ? 4 : 16);
  }
  // Parses numeric text (inet_pton); false when it is neither family.
  static bool Parse(const std::string& text, AddressKey* out);
  std::string Text() const;

  bool operator==(const AddressKey& o) const {
    return family == o.family && std::memcmp(bytes, o.bytes, sizeof bytes) == 0;
  }
};

struct AddressKeyHash {
  size_t operator()(const AddressKey& k) const {
    // FNV-1a: the keys are chosen by remote peers, but only their own learnt or pending
    // sources land here and both tables are bounded.
    uint64_t h = 1469598103934665603ull ^ static_cast<uint8_t>(k.family);
    for (uint8_t b : k.bytes) h = (h ^ b) * 1099511628211ull;
    return static_cast<size_t>(h);
  }
};

}  // namespace viaguard
