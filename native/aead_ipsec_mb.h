// ChaCha20-Poly1305 through Intel's Multi-Buffer Crypto library (libIPSec_MB, "ipsec-mb"), when
// the build found it (VIAGUARD_HAVE_IPSEC_MB). Its AVX-512 code keeps 16 ChaCha20 blocks in
// flight and runs Poly1305 on AVX-512 IFMA where the CPU has it, with a few nanoseconds of setup
// per packet; OpenSSL's EVP interface spends about as long on per-packet setup as on the cipher.
// Each thread gets its own job manager on first use, so any thread may call in; keys are only
// read.
#pragma once
#include <cstddef>
#include <cstdint>

namespace viaguard::ipsec_mb {

// What the library offers here, found once: kAbsent when this build does not link it or its
// job manager fails to set up (self-test included); kAvx512 when it runs its AVX-512 code;
// kOther for its AVX2/SSE code, which is slower than OpenSSL's at WireGuard's packet sizes.
enum class Support { kAbsent, kOther, kAvx512 };
Support Probe();

// The longest text one packet may have (RFC 8439's 2^32 - 1 blocks, minus the Poly1305 block).
constexpr uint64_t kMaxLength = (uint64_t{1} << 38) - 64;

// One packet. Sealing writes the tag to tag; opening decrypts and writes the tag it computes
// over src to tag (the caller compares it with the received one). dst may equal src.
struct Packet {
  const uint8_t* key;    // 32 bytes
  const uint8_t* nonce;  // 12 bytes
  const uint8_t* ad;
  size_t adLength;
  const uint8_t* src;
  size_t length;  // text bytes, at most kMaxLength
  uint8_t* dst;
  uint8_t* tag;  // 16 bytes
};

// Runs count packets through this thread's job manager (Probe() must not be kAbsent); throws
// std::runtime_error when the library refuses one (a bug: every field above is valid by
// construction).
void Run(const Packet* packets, size_t count, bool seal);

}  // namespace viaguard::ipsec_mb
