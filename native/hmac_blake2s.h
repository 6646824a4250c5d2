// HMAC-BLAKE2s (RFC 2104 over BLAKE2s-256, 64-byte blocks) and the HKDF WireGuard builds on it
// (whitepaper §5.4: KDF_n with n = 1..3 outputs of 32 bytes), over native/blake2s.h.
#pragma once
#include <cstddef>
#include <cstdint>

namespace viaguard {

constexpr size_t kHmacBlake2sSize = 32;
constexpr size_t kHkdfMaxOutputs = 3;

// out = HMAC-BLAKE2s(key, data). key may have any length (longer than a block is hashed first).
void HmacBlake2s(uint8_t out[kHmacBlake2sSize], const uint8_t* key, size_t keyLen,
                 const uint8_t* data, size_t dataLen);

// Writes n (1..3) consecutive 32-byte outputs of KDF_n(key, input) to out (32 * n bytes):
// prk = HMAC(key, input), T1 = HMAC(prk, 0x1), Ti = HMAC(prk, T(i-1) ‖ i). Returns false when n
// is out of range.
bool HkdfBlake2s(uint8_t* out, size_t n, const uint8_t* key, size_t keyLen, const uint8_t* input,
                 size_t inputLen);

}  // namespace viaguard
