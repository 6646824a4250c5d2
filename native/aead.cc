// ChaCha20-Poly1305 over OpenSSL's EVP interface. Each direction keeps one EVP_CIPHER_CTX that
// is keyed once in the constructor; a packet then only sets the nonce, feeds AD and data, and
// reads or sets the tag, so no per-packet allocation or provider fetch happens.
#include "aead.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <climits>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace viaguard {

namespace {

// EVP lengths are ints; larger inputs are fed in pieces (the cipher streams across updates).
constexpr size_t kMaxUpdate = static_cast<size_t>(INT_MAX) & ~static_cast<size_t>(63);

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

EVP_CIPHER_CTX* NewKeyedContext(const uint8_t* key, int encrypt) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (!ctx) throw std::bad_alloc();
  if (EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key, nullptr, encrypt) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    throw std::runtime_error("ChaCha20-Poly1305: key setup failed");
  }
  return ctx;
}

void WireGuardNonce(uint64_t counter, uint8_t nonce[ChaChaPoly::kNonceSize]) {
  // Whitepaper §5.4.6: 32 zero bits, then the counter as a 64-bit little-endian integer.
  std::memset(nonce, 0, 4);
  for (int i = 0; i < 8; ++i) nonce[4 + i] = static_cast<uint8_t>(counter >> (8 * i));
}

}  // namespace

struct ChaChaPoly::Impl {
  EVP_CIPHER_CTX* seal;
  EVP_CIPHER_CTX* open;
};

ChaChaPoly::ChaChaPoly(const uint8_t key[kKeySize]) : impl_(new Impl{nullptr, nullptr}) {
  try {
    impl_->seal = NewKeyedContext(key, 1);
    impl_->open = NewKeyedContext(key, 0);
  } catch (...) {
    EVP_CIPHER_CTX_free(impl_->seal);
    delete impl_;
    throw;
  }
}

ChaChaPoly::~ChaChaPoly() {
  // Freeing the contexts also wipes the key schedule OpenSSL holds.
  EVP_CIPHER_CTX_free(impl_->seal);
  EVP_CIPHER_CTX_free(impl_->open);
  delete impl_;
}

void ChaChaPoly::Seal(uint64_t counter, const uint8_t* src, size_t len, const uint8_t* ad,
                      size_t adLen, uint8_t* dst) {
  uint8_t nonce[kNonceSize];
  WireGuardNonce(counter, nonce);
  SealWithNonce(nonce, src, len, ad, adLen, dst);
}

bool ChaChaPoly::Open(uint64_t counter, const uint8_t* src, size_t len, const uint8_t* ad,
                      size_t adLen, uint8_t* dst) {
  uint8_t nonce[kNonceSize];
  WireGuardNonce(counter, nonce);
  return OpenWithNonce(nonce, src, len, ad, adLen, dst);
}

void ChaChaPoly::SealWithNonce(const uint8_t nonce[kNonceSize], const uint8_t* src, size_t len,
                               const uint8_t* ad, size_t adLen, uint8_t* dst) {
  EVP_CIPHER_CTX* ctx = impl_->seal;
  Check(EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, nonce, -1), "nonce setup");
  Update(ctx, nullptr, ad, adLen);
  Update(ctx, dst, src, len);
  int written = 0;
  Check(EVP_CipherFinal_ex(ctx, dst + len, &written), "final");
  // Tag through the parameter API: EVP_CIPHER_CTX_ctrl would translate into the same call
  // after a string-keyed lookup on every packet.
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, dst + len, kTagSize),
      OSSL_PARAM_construct_end()};
  Check(EVP_CIPHER_CTX_get_params(ctx, params), "tag");
}

bool ChaChaPoly::OpenWithNonce(const uint8_t nonce[kNonceSize], const uint8_t* src, size_t len,
                               const uint8_t* ad, size_t adLen, uint8_t* dst) {
  if (len < kTagSize) return false;
  const size_t textLen = len - kTagSize;
  EVP_CIPHER_CTX* ctx = impl_->open;
  Check(EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, nonce, -1), "nonce setup");
  Update(ctx, nullptr, ad, adLen);
  Update(ctx, dst, src, textLen);
  // OSSL_PARAM is not const-correct; setting the tag only reads (copies) these 16 bytes.
  uint8_t* tag = const_cast<uint8_t*>(src + textLen);
  OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, kTagSize),
                         OSSL_PARAM_construct_end()};
  Check(EVP_CIPHER_CTX_set_params(ctx, params), "tag");
  int written = 0;
  if (EVP_CipherFinal_ex(ctx, dst + textLen, &written) == 1) return true;
  // Never leave unauthenticated plaintext behind for a caller that ignores the result.
  if (textLen > 0) std::memset(dst, 0, textLen);
  return false;
}

}  // namespace viaguard
