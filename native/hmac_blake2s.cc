#include "hmac_blake2s.h"

#include <openssl/crypto.h>

#include <cstring>
#include <vector>

#include "blake2s.h"

namespace viaguard {

namespace {

constexpr size_t kBlock = 64;

// BLAKE2s-256 of prefix ‖ data. Handshake inputs are short and stay on the stack.
void HashPrefixed(uint8_t out[kHmacBlake2sSize], const uint8_t prefix[kBlock], const uint8_t* data,
                  size_t dataLen) {
  constexpr size_t kInline = 256;
  uint8_t stack[kBlock + kInline];
  std::vector<uint8_t> heap;
  uint8_t* buffer = stack;
  if (dataLen > kInline) {
    heap.resize(kBlock + dataLen);
    buffer = heap.data();
  }
  std::memcpy(buffer, prefix, kBlock);
  if (dataLen > 0) std::memcpy(buffer + kBlock, data, dataLen);
  Blake2s(out, kHmacBlake2sSize, nullptr, 0, buffer, kBlock + dataLen);
  // The first block is derived from the key.
  OPENSSL_cleanse(buffer, kBlock + dataLen);
}

}  // namespace

void HmacBlake2s(uint8_t out[kHmacBlake2sSize], const uint8_t* key, size_t keyLen,
                 const uint8_t* data, size_t dataLen) {
  uint8_t block[kBlock] = {};
  if (keyLen > kBlock) {
    Blake2s(block, kHmacBlake2sSize, nullptr, 0, key, keyLen);
  } else if (keyLen > 0) {
    std::memcpy(block, key, keyLen);
  }
  uint8_t pad[kBlock];
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x36;
  uint8_t inner[kHmacBlake2sSize];
  HashPrefixed(inner, pad, data, dataLen);
  for (size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x5c;
  HashPrefixed(out, pad, inner, sizeof inner);
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(pad, sizeof pad);
  OPENSSL_cleanse(inner, sizeof inner);
}

bool HkdfBlake2s(uint8_t* out, size_t n, const uint8_t* key, size_t keyLen, const uint8_t* input,
                 size_t inputLen) {
  if (n < 1 || n > kHkdfMaxOutputs) return false;
  uint8_t prk[kHmacBlake2sSize];
  HmacBlake2s(prk, key, keyLen, input, inputLen);
  // T(i-1) ‖ i, with T0 empty.
  uint8_t message[kHmacBlake2sSize + 1];
  size_t messageLen = 0;
  for (size_t i = 1; i <= n; ++i) {
    message[messageLen] = static_cast<uint8_t>(i);
    uint8_t* t = out + (i - 1) * kHmacBlake2sSize;
    HmacBlake2s(t, prk, sizeof prk, message, messageLen + 1);
    std::memcpy(message, t, kHmacBlake2sSize);
    messageLen = kHmacBlake2sSize;
  }
  OPENSSL_cleanse(prk, sizeof prk);
  OPENSSL_cleanse(message, sizeof message);
  return true;
}

}  // namespace viaguard
