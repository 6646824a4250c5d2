// Where one ChaCha20-Poly1305 packet's time goes inside OpenSSL's EVP interface: each line adds
// one step of the per-packet sequence native/aead.cc runs, so the differences are the steps'
// costs. A developer tool, not part of the addon; it links the system libcrypto (pick the same
// version Node embeds, `node -p process.versions.openssl`):
//   g++ -O2 -std=c++17 scripts/aead-steps.cc -lcrypto -o /tmp/aead-steps && /tmp/aead-steps 1420
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr int kPackets = 500000;

template <typename Step>
void Measure(const char* label, uint8_t* nonce, Step step) {
  double best = 1e9;
  for (int round = 0; round < 3; ++round) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kPackets; ++i) {
      std::memcpy(nonce + 4, &i, sizeof i);
      step();
    }
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    best = std::min(best, took.count());
  }
  std::printf("%-52s %7.1f ns/packet\n", label, best / kPackets * 1e9);
}

}  // namespace

int main(int argc, char** argv) {
  const int len = argc > 1 ? std::atoi(argv[1]) : 1420;
  if (len <= 0 || len > 65535) {
    std::fprintf(stderr, "usage: aead-steps [length 1..65535]\n");
    return 2;
  }
  uint8_t key[32] = {1};
  uint8_t nonce[12] = {};
  std::vector<uint8_t> in(len), out(len + 16);
  int written = 0;
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (!ctx || EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key, nullptr, 1) != 1) return 1;
  auto getTag = [&] {
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, out.data() + len, 16),
        OSSL_PARAM_construct_end()};
    EVP_CIPHER_CTX_get_params(ctx, params);
  };

  std::printf("%s, %d-byte packets\n", OpenSSL_version(OPENSSL_VERSION), len);
  Measure("set nonce (EVP_CipherInit_ex)", nonce,
          [&] { EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, nonce, -1); });
  Measure("+ encrypt (first update also derives the Poly1305 key)", nonce, [&] {
    EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, nonce, -1);
    EVP_CipherUpdate(ctx, out.data(), &written, in.data(), len);
  });
  Measure("+ final", nonce, [&] {
    EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, nonce, -1);
    EVP_CipherUpdate(ctx, out.data(), &written, in.data(), len);
    EVP_CipherFinal_ex(ctx, out.data() + len, &written);
  });
  Measure("+ tag via EVP_CIPHER_CTX_get_params (what aead.cc does)", nonce, [&] {
    EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, nonce, -1);
    EVP_CipherUpdate(ctx, out.data(), &written, in.data(), len);
    EVP_CipherFinal_ex(ctx, out.data() + len, &written);
    getTag();
  });
  Measure("  (tag via EVP_CIPHER_CTX_ctrl instead)", nonce, [&] {
    EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, nonce, -1);
    EVP_CipherUpdate(ctx, out.data(), &written, in.data(), len);
    EVP_CipherFinal_ex(ctx, out.data() + len, &written);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out.data() + len);
  });
  Measure("streaming update alone (no nonce, no key block, no tag)", nonce,
          [&] { EVP_CipherUpdate(ctx, out.data(), &written, in.data(), len); });
  Measure("streaming update of the 64-byte-aligned part only", nonce,
          [&] { EVP_CipherUpdate(ctx, out.data(), &written, in.data(), len & ~63); });
  EVP_CIPHER_CTX_free(ctx);
  return 0;
}
