// ChaCha20-Poly1305 (RFC 8439) with WireGuard's nonce: 4 zero bytes then a 64-bit
// little-endian counter. Backed by the OpenSSL that Node embeds and exports to addons.
// One object holds one key; it is not thread-safe (each direction of a keypair is used
// by one thread at a time).
#pragma once
#include <cstddef>
#include <cstdint>

namespace viaguard {

class ChaChaPoly {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kTagSize = 16;
  static constexpr size_t kNonceSize = 12;

  explicit ChaChaPoly(const uint8_t key[kKeySize]);
  ~ChaChaPoly();
  ChaChaPoly(const ChaChaPoly&) = delete;
  ChaChaPoly& operator=(const ChaChaPoly&) = delete;

  // Encrypts len bytes of src into dst and appends the tag: dst must hold len + kTagSize bytes
  // and may equal src. ad may be null when adLen is 0.
  void Seal(uint64_t counter, const uint8_t* src, size_t len, const uint8_t* ad, size_t adLen,
            uint8_t* dst);

  // Authenticates and decrypts len bytes (ciphertext + tag) of src into dst (len - kTagSize
  // bytes; may equal src). Returns false when len < kTagSize or the tag does not verify; dst
  // then holds zeros, never unauthenticated plaintext.
  bool Open(uint64_t counter, const uint8_t* src, size_t len, const uint8_t* ad, size_t adLen,
            uint8_t* dst);

  // The same with a caller-chosen RFC 8439 nonce (WireGuard's is 4 zero bytes then the
  // counter); used to check the RFC's test vectors, whose nonces carry a non-zero constant.
  void SealWithNonce(const uint8_t nonce[kNonceSize], const uint8_t* src, size_t len,
                     const uint8_t* ad, size_t adLen, uint8_t* dst);
  bool OpenWithNonce(const uint8_t nonce[kNonceSize], const uint8_t* src, size_t len,
                     const uint8_t* ad, size_t adLen, uint8_t* dst);

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace viaguard
