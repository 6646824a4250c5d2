// X25519 (RFC 7748) over the OpenSSL that Node embeds and exports to addons. A key pair lives in
// an OpenSSL EVP_PKEY, which wipes the private scalar when it is freed; only the public half
// and the shared secrets the caller asks for ever leave it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

namespace viaguard {

class X25519Key {
 public:
  static constexpr size_t kSize = 32;

  // A fresh key pair from OpenSSL's private random generator. Throws std::runtime_error when
  // OpenSSL fails.
  static std::unique_ptr<X25519Key> Generate();
  // The key pair of a 32-byte private key (clamped as RFC 7748 §5 says when it is used).
  static std::unique_ptr<X25519Key> FromPrivate(const uint8_t privateKey[kSize]);

  ~X25519Key();
  X25519Key(const X25519Key&) = delete;
  X25519Key& operator=(const X25519Key&) = delete;

  const uint8_t* PublicKey() const { return public_; }

  // Writes X25519(private, peer) to out. Returns false, with out zeroed, when the result is
  // all zero (the peer's key is a low-order point, RFC 7748 §6.1). Throws on OpenSSL failure.
  bool Derive(const uint8_t peer[kSize], uint8_t out[kSize]);

 private:
  struct Handles;
  explicit X25519Key(std::unique_ptr<Handles> handles);

  std::unique_ptr<Handles> handles_;
  uint8_t public_[kSize];
};

}  // namespace viaguard
