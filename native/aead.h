// ChaCha20-Poly1305 (RFC 8439) with WireGuard's nonce: 4 zero bytes then a 64-bit
// little-endian counter. Two implementations ("paths"): the OpenSSL that Node embeds and
// exports to addons (always there), and Intel's ipsec-mb library (when the build found it),
// which on AVX-512 CPUs is about twice as fast per packet. Every call runs the default path
// unless told otherwise: the fastest, or the one the environment variable VIAGUARD_AEAD names
// ("openssl" or "ipsec-mb"); both give identical bytes.
// One object holds one key and only reads it: any number of threads may seal and open with it at
// once (each thread has its own OpenSSL contexts; see aead.cc).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace viaguard {

enum class AeadPath : uint8_t { kOpenSsl, kIpsecMb };

// "openssl" or "ipsec-mb".
const char* AeadPathName(AeadPath path);
// The paths this build can run on this CPU, the default first. Throws std::invalid_argument
// when VIAGUARD_AEAD names none of them.
const std::vector<AeadPath>& AvailableAeadPaths();
inline AeadPath DefaultAeadPath() { return AvailableAeadPaths().front(); }

// One packet of a batch: length bytes at src (plaintext to seal, or ciphertext + tag to open)
// go to dst, which may equal src.
struct AeadPacket {
  uint64_t counter;
  const uint8_t* src;
  size_t length;
  uint8_t* dst;
};

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
  // and may equal src. ad may be null when adLen is 0. path must be one of AvailableAeadPaths().
  void Seal(uint64_t counter, const uint8_t* src, size_t len, const uint8_t* ad, size_t adLen,
            uint8_t* dst, AeadPath path = DefaultAeadPath());

  // Authenticates and decrypts len bytes (ciphertext + tag) of src into dst (len - kTagSize
  // bytes; may equal src). Returns false when len < kTagSize or the tag does not verify; dst
  // then holds zeros, never unauthenticated plaintext.
  bool Open(uint64_t counter, const uint8_t* src, size_t len, const uint8_t* ad, size_t adLen,
            uint8_t* dst, AeadPath path = DefaultAeadPath());

  // The same with a caller-chosen RFC 8439 nonce (WireGuard's is 4 zero bytes then the
  // counter); used to check the RFC's test vectors, whose nonces carry a non-zero constant.
  void SealWithNonce(const uint8_t nonce[kNonceSize], const uint8_t* src, size_t len,
                     const uint8_t* ad, size_t adLen, uint8_t* dst,
                     AeadPath path = DefaultAeadPath());
  bool OpenWithNonce(const uint8_t nonce[kNonceSize], const uint8_t* src, size_t len,
                     const uint8_t* ad, size_t adLen, uint8_t* dst,
                     AeadPath path = DefaultAeadPath());

  // Seal or Open for many packets without AD, in one pass through the path's machinery.
  // OpenMany sets ok[i] to 1 or 0 and returns how many packets authenticated.
  void SealMany(const AeadPacket* packets, size_t count, AeadPath path = DefaultAeadPath());
  size_t OpenMany(const AeadPacket* packets, size_t count, uint8_t* ok,
                  AeadPath path = DefaultAeadPath());

 private:
  uint8_t key_[kKeySize];
};

}  // namespace viaguard
