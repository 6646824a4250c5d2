// ChaCha20-Poly1305 over OpenSSL's EVP interface or ipsec-mb's job API. An object holds only its
// key, which no call writes, so any number of threads may use one at once. EVP's contexts are
// mutable: each thread has its own pair (seal, open), made once; a call keys the context for its
// whole run of packets (a 32-byte copy into the cipher's state), each packet then only sets the
// nonce, feeds AD and data, and reads or sets the tag — no per-packet allocation or provider
// fetch — and the call ends by keying it with zeros, so no session key outlives its keypair in a
// thread's context. ipsec-mb takes the raw key with every job.
#include "aead.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "aead_ipsec_mb.h"

namespace viaguard {

const char* AeadPathName(AeadPath path) {
  return path == AeadPath::kIpsecMb ? "ipsec-mb" : "openssl";
}

namespace {

const std::vector<AeadPath>& PathsBySpeed() {
  static const std::vector<AeadPath> paths = [] {
    switch (ipsec_mb::Probe()) {
      case ipsec_mb::Support::kAvx512:
        return std::vector<AeadPath>{AeadPath::kIpsecMb, AeadPath::kOpenSsl};
      case ipsec_mb::Support::kOther:
        // Measured with its AVX2 code forced: slower than OpenSSL's EVP at 1420 B.
        return std::vector<AeadPath>{AeadPath::kOpenSsl, AeadPath::kIpsecMb};
      case ipsec_mb::Support::kAbsent:
        break;
    }
    return std::vector<AeadPath>{AeadPath::kOpenSsl};
  }();
  return paths;
}

}  // namespace

const std::vector<AeadPath>& AvailableAeadPaths() {
  // Not cached when it throws: every later call reports the same bad setting.
  static const std::vector<AeadPath> paths = [] {
    std::vector<AeadPath> ordered = PathsBySpeed();
    const char* chosen = std::getenv("VIAGUARD_AEAD");
    if (chosen == nullptr || *chosen == '\0') return ordered;
    for (size_t i = 0; i < ordered.size(); ++i) {
      if (std::strcmp(chosen, AeadPathName(ordered[i])) == 0) {
        std::rotate(ordered.begin(), ordered.begin() + i, ordered.begin() + i + 1);
        return ordered;
      }
    }
    std::string have;
    for (AeadPath path : ordered) have += std::string(have.empty() ? "" : ", ") + AeadPathName(path);
    throw std::invalid_argument(std::string("VIAGUARD_AEAD: '") + chosen +
                                "' is not an AEAD path available here (have: " + have + ")");
  }();
  return paths;
}

namespace {

// EVP lengths are ints; larger inputs are fed in pieces (the cipher streams across updates).
constexpr size_t kMaxUpdate = static_cast<size_t>(INT_MAX) & ~static_cast<size_t>(63);

// Packets handed to ipsec-mb at once by SealMany/OpenMany (their nonces and tags live on the
// stack meanwhile).
constexpr size_t kIpsecMbChunk = 64;

void Check(int ok, const char* what) {
  if (ok != 1) throw std::runtime_error(std::string("ChaCha20-Poly1305: ") + what + " failed");
}

// Feeds AD (out == nullptr) or data through the cipher.
void Update(EVP_CIPHER_CTX* ctx, uint8_t* out, const uint8_t* in, size_t len) {
  while (len > 0) {
    const size_t piece = len < kMaxUpdate ? len : kMaxUpdate;
    int written = 0;
    Check(EVP_CipherUpdate(ctx, out, &written, in, static_cast<int>(piece)), "update");
    in += piece;
    if (out) out += piece;
    len -= piece;
  }
}

// This thread's context for one direction, made on its first use and freed when the thread ends.
EVP_CIPHER_CTX* ThreadContext(bool seal) {
  struct Contexts {
    EVP_CIPHER_CTX* ctx[2] = {nullptr, nullptr};  // open, seal
    ~Contexts() {
      for (EVP_CIPHER_CTX* c : ctx) EVP_CIPHER_CTX_free(c);
    }
  };
  thread_local Contexts contexts;
  EVP_CIPHER_CTX*& ctx = contexts.ctx[seal ? 1 : 0];
  if (!ctx) {
    EVP_CIPHER_CTX* made = EVP_CIPHER_CTX_new();
    if (!made) throw std::bad_alloc();
    if (EVP_CipherInit_ex(made, EVP_chacha20_poly1305(), nullptr, nullptr, nullptr, seal) != 1) {
      EVP_CIPHER_CTX_free(made);
      throw std::runtime_error("ChaCha20-Poly1305: context setup failed");
    }
    ctx = made;
  }
  return ctx;
}

// This thread's context for one direction, holding key while the object lives. Never nest two
// for one direction: the inner one's end would wipe the outer one's key.
class KeyedContext {
 public:
  KeyedContext(const uint8_t* key, bool seal) : ctx_(ThreadContext(seal)) {
    Check(EVP_CipherInit_ex(ctx_, nullptr, nullptr, key, nullptr, -1), "key setup");
  }
  ~KeyedContext() {
    static const uint8_t kZeroKey[ChaChaPoly::kKeySize] = {};
    EVP_CipherInit_ex(ctx_, nullptr, nullptr, kZeroKey, nullptr, -1);
  }
  KeyedContext(const KeyedContext&) = delete;
  KeyedContext& operator=(const KeyedContext&) = delete;
  EVP_CIPHER_CTX* get() const { return ctx_; }

 private:
  EVP_CIPHER_CTX* ctx_;
};

void WireGuardNonce(uint64_t counter, uint8_t nonce[ChaChaPoly::kNonceSize]) {
  // Whitepaper §5.4.6: 32 zero bits, then the counter as a 64-bit little-endian integer.
  std::memset(nonce, 0, 4);
  for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<uint8_t>(counter >> (8 * i));
}

void EvpSeal(EVP_CIPHER_CTX* ctx, const uint8_t* nonce, const uint8_t* src, size_t len,
             const uint8_t* ad, size_t adLen, uint8_t* dst) {
  Check(EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, nonce, -1), "nonce setup");
  Update(ctx, nullptr, ad, adLen);
  Update(ctx, dst, src, len);
  int written = 0;
  Check(EVP_CipherFinal_ex(ctx, dst + len, &written), "final");
  // Tag through the parameter API: EVP_CIPHER_CTX_ctrl would translate into the same call
  // after a string-keyed lookup on every packet.
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, dst + len, ChaChaPoly::kTagSize),
      OSSL_PARAM_construct_end()};
  Check(EVP_CIPHER_CTX_get_params(ctx, params), "tag");
}

// textLen bytes of ciphertext at src, the tag right after them.
bool EvpOpen(EVP_CIPHER_CTX* ctx, const uint8_t* nonce, const uint8_t* src, size_t textLen,
             const uint8_t* ad, size_t adLen, uint8_t* dst) {
  Check(EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, nonce, -1), "nonce setup");
  Update(ctx, nullptr, ad, adLen);
  Update(ctx, dst, src, textLen);
  // OSSL_PARAM is not const-correct; setting the tag only reads (copies) these 16 bytes.
  uint8_t* tag = const_cast<uint8_t*>(src + textLen);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, ChaChaPoly::kTagSize),
      OSSL_PARAM_construct_end()};
  Check(EVP_CIPHER_CTX_set_params(ctx, params), "tag");
  int written = 0;
  return EVP_CipherFinal_ex(ctx, dst + textLen, &written) == 1;
}

bool ViaIpsecMb(AeadPath path, size_t textLen) {
  if (path == AeadPath::kOpenSsl) return false;
  if (ipsec_mb::Probe() == ipsec_mb::Support::kAbsent) {
    throw std::invalid_argument("ChaCha20-Poly1305: ipsec-mb is not available");
  }
  return textLen <= ipsec_mb::kMaxLength;  // beyond RFC 8439's limit only EVP streams on
}

// Never leave unauthenticated plaintext behind for a caller that ignores the result.
bool Released(bool authentic, uint8_t* dst, size_t textLen) {
  if (!authentic && textLen > 0) std::memset(dst, 0, textLen);
  return authentic;
}

}  // namespace

ChaChaPoly::ChaChaPoly(const uint8_t key[kKeySize]) {
  std::memcpy(key_, key, kKeySize);
  // The first probe of ipsec-mb takes ~20 ms: pay it here (keys are made on handshakes), not
  // on a data thread's first packet.
  AvailableAeadPaths();
}

ChaChaPoly::~ChaChaPoly() { OPENSSL_cleanse(key_, kKeySize); }

void ChaChaPoly::Seal(uint64_t counter, const uint8_t* src, size_t len, const uint8_t* ad,
                      size_t adLen, uint8_t* dst, AeadPath path) {
  uint8_t nonce[kNonceSize];
  WireGuardNonce(counter, nonce);
  SealWithNonce(nonce, src, len, ad, adLen, dst, path);
}

bool ChaChaPoly::Open(uint64_t counter, const uint8_t* src, size_t len, const uint8_t* ad,
                      size_t adLen, uint8_t* dst, AeadPath path) {
  uint8_t nonce[kNonceSize];
  WireGuardNonce(counter, nonce);
  return OpenWithNonce(nonce, src, len, ad, adLen, dst, path);
}

void ChaChaPoly::SealWithNonce(const uint8_t nonce[kNonceSize], const uint8_t* src, size_t len,
                               const uint8_t* ad, size_t adLen, uint8_t* dst, AeadPath path) {
  if (!ViaIpsecMb(path, len)) {
    KeyedContext ctx(key_, true);
    return EvpSeal(ctx.get(), nonce, src, len, ad, adLen, dst);
  }
  const ipsec_mb::Packet job{key_, nonce, ad, adLen, src, len, dst, dst + len};
  ipsec_mb::Run(&job, 1, true);
}

bool ChaChaPoly::OpenWithNonce(const uint8_t nonce[kNonceSize], const uint8_t* src, size_t len,
                               const uint8_t* ad, size_t adLen, uint8_t* dst, AeadPath path) {
  if (len < kTagSize) return false;
  const size_t textLen = len - kTagSize;
  if (!ViaIpsecMb(path, textLen)) {
    KeyedContext ctx(key_, false);
    return Released(EvpOpen(ctx.get(), nonce, src, textLen, ad, adLen, dst), dst, textLen);
  }
  uint8_t tag[kTagSize];
  const ipsec_mb::Packet job{key_, nonce, ad, adLen, src, textLen, dst, tag};
  ipsec_mb::Run(&job, 1, false);
  return Released(CRYPTO_memcmp(tag, src + textLen, kTagSize) == 0, dst, textLen);
}

void ChaChaPoly::SealMany(const AeadPacket* packets, size_t count, AeadPath path) {
  uint8_t nonce[kNonceSize];
  if (path == AeadPath::kOpenSsl) {
    KeyedContext ctx(key_, true);  // once for the whole run
    for (size_t i = 0; i < count; ++i) {
      const AeadPacket& p = packets[i];
      WireGuardNonce(p.counter, nonce);
      EvpSeal(ctx.get(), nonce, p.src, p.length, nullptr, 0, p.dst);
    }
    return;
  }
  uint8_t nonces[kIpsecMbChunk][kNonceSize];
  ipsec_mb::Packet jobs[kIpsecMbChunk];
  size_t queued = 0;
  for (size_t i = 0; i < count; ++i) {
    const AeadPacket& p = packets[i];
    if (!ViaIpsecMb(path, p.length)) {
      Seal(p.counter, p.src, p.length, nullptr, 0, p.dst, AeadPath::kOpenSsl);
      continue;
    }
    WireGuardNonce(p.counter, nonces[queued]);
    jobs[queued] = {key_, nonces[queued], nullptr, 0, p.src, p.length, p.dst, p.dst + p.length};
    if (++queued == kIpsecMbChunk) {
      ipsec_mb::Run(jobs, queued, true);
      queued = 0;
    }
  }
  if (queued > 0) ipsec_mb::Run(jobs, queued, true);
}

size_t ChaChaPoly::OpenMany(const AeadPacket* packets, size_t count, uint8_t* ok, AeadPath path) {
  size_t opened = 0;
  if (path == AeadPath::kOpenSsl) {
    KeyedContext ctx(key_, false);  // once for the whole run
    uint8_t nonce[kNonceSize];
    for (size_t i = 0; i < count; ++i) {
      const AeadPacket& p = packets[i];
      ok[i] = 0;
      if (p.length < kTagSize) continue;
      const size_t textLen = p.length - kTagSize;
      WireGuardNonce(p.counter, nonce);
      ok[i] = Released(EvpOpen(ctx.get(), nonce, p.src, textLen, nullptr, 0, p.dst), p.dst, textLen);
      opened += ok[i];
    }
    return opened;
  }
  uint8_t nonces[kIpsecMbChunk][kNonceSize];
  uint8_t tags[kIpsecMbChunk][kTagSize];
  ipsec_mb::Packet jobs[kIpsecMbChunk];
  size_t index[kIpsecMbChunk];
  size_t queued = 0;
  auto verifyQueued = [&] {
    ipsec_mb::Run(jobs, queued, false);
    for (size_t j = 0; j < queued; ++j) {
      const ipsec_mb::Packet& job = jobs[j];
      const bool good = CRYPTO_memcmp(tags[j], job.src + job.length, kTagSize) == 0;
      ok[index[j]] = Released(good, job.dst, job.length) ? 1 : 0;
      opened += ok[index[j]];
    }
    queued = 0;
  };
  for (size_t i = 0; i < count; ++i) {
    const AeadPacket& p = packets[i];
    if (p.length < kTagSize || !ViaIpsecMb(path, p.length - kTagSize)) {
      ok[i] = Open(p.counter, p.src, p.length, nullptr, 0, p.dst, AeadPath::kOpenSsl) ? 1 : 0;
      opened += ok[i];
      continue;
    }
    WireGuardNonce(p.counter, nonces[queued]);
    jobs[queued] = {key_, nonces[queued], nullptr, 0, p.src, p.length - kTagSize, p.dst, tags[queued]};
    index[queued] = i;
    if (++queued == kIpsecMbChunk) verifyQueued();
  }
  if (queued > 0) verifyQueued();
  return opened;
}

}  // namespace viaguard
