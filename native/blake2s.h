// BLAKE2s (RFC 7693), one-shot, optionally keyed: what WireGuard's mac1 needs on the data
// plane's receive path (MAC(HASH("mac1----" || Spub), msg) with a 16-byte output).
#pragma once
#include <cstddef>
#include <cstdint>

namespace viaguard {

constexpr size_t kBlake2sMaxOutput = 32;
constexpr size_t kBlake2sMaxKey = 32;

// Writes outLen (1..32) bytes of BLAKE2s(key, in) to out. key may be null when keyLen is 0;
// keyLen must be <= 32. Returns false on invalid lengths.
bool Blake2s(uint8_t* out, size_t outLen, const uint8_t* key, size_t keyLen, const uint8_t* in,
             size_t inLen);

}  // namespace viaguard
