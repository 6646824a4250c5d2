// BLAKE2s written from RFC 7693 §3 (compression function F, G mixing, parameter block for
// sequential mode with an optional key).
#include "blake2s.h"

#include <cstring>

namespace viaguard {
namespace {

constexpr uint32_t kIv[8] = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                             0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};

constexpr uint8_t kSigma[10][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
};

inline uint32_t Rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

inline uint32_t Load32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

struct State {
  uint32_t h[8];
  uint64_t t = 0;  // bytes compressed so far
};

void Compress(State& s, const uint8_t block[64], bool last) {
  uint32_t m[16];
  for (int i = 0; i < 16; ++i) m[i] = Load32(block + 4 * i);
  uint32_t v[16];
  for (int i = 0; i < 8; ++i) {
    v[i] = s.h[i];
    v[i + 8] = kIv[i];
  }
  v[12] ^= static_cast<uint32_t>(s.t);
  v[13] ^= static_cast<uint32_t>(s.t >> 32);
  if (last) v[14] = ~v[14];
  auto g = [&v](int a, int b, int c, int d, uint32_t x, uint32_t y) {
    v[a] = v[a] + v[b] + x;
    v[d] = Rotr(v[d] ^ v[a], 16);
    v[c] = v[c] + v[d];
    v[b] = Rotr(v[b] ^ v[c], 12);
    v[a] = v[a] + v[b] + y;
    v[d] = Rotr(v[d] ^ v[a], 8);
    v[c] = v[c] + v[d];
    v[b] = Rotr(v[b] ^ v[c], 7);
  };
  for (const auto& s_ : kSigma) {
    g(0, 4, 8, 12, m[s_[0]], m[s_[1]]);
    g(1, 5, 9, 13, m[s_[2]], m[s_[3]]);
    g(2, 6, 10, 14, m[s_[4]], m[s_[5]]);
    g(3, 7, 11, 15, m[s_[6]], m[s_[7]]);
    g(0, 5, 10, 15, m[s_[8]], m[s_[9]]);
    g(1, 6, 11, 12, m[s_[10]], m[s_[11]]);
    g(2, 7, 8, 13, m[s_[12]], m[s_[13]]);
    g(3, 4, 9, 14, m[s_[14]], m[s_[15]]);
  }
  for (int i = 0; i < 8; ++i) s.h[i] ^= v[i] ^ v[i + 8];
}

}  // namespace

bool Blake2s(uint8_t* out, size_t outLen, const uint8_t* key, size_t keyLen, const uint8_t* in,
             size_t inLen) {
  if (outLen == 0 || outLen > kBlake2sMaxOutput || keyLen > kBlake2sMaxKey) return false;
  State s;
  std::memcpy(s.h, kIv, sizeof s.h);
  s.h[0] ^= 0x01010000U ^ static_cast<uint32_t>(keyLen << 8) ^ static_cast<uint32_t>(outLen);

  uint8_t block[64];
  // A key is processed as a whole first block padded with zeros (RFC 7693 §3.3); an empty
  // unkeyed message is a single zero block.
  if (keyLen > 0 || inLen == 0) {
    std::memset(block, 0, sizeof block);
    if (keyLen > 0) {
      std::memcpy(block, key, keyLen);
      s.t = 64;
    }
    Compress(s, block, inLen == 0);
  }
  // Every full block but the last is compressed without the final flag.
  while (inLen > 64) {
    s.t += 64;
    Compress(s, in, false);
    in += 64;
    inLen -= 64;
  }
  if (inLen > 0) {
    std::memset(block, 0, sizeof block);
    std::memcpy(block, in, inLen);
    s.t += inLen;
    Compress(s, block, true);
  }

  uint8_t digest[32];
  for (int i = 0; i < 8; ++i) {
    digest[4 * i] = static_cast<uint8_t>(s.h[i]);
    digest[4 * i + 1] = static_cast<uint8_t>(s.h[i] >> 8);
    digest[4 * i + 2] = static_cast<uint8_t>(s.h[i] >> 16);
    digest[4 * i + 3] = static_cast<uint8_t>(s.h[i] >> 24);
  }
  std::memcpy(out, digest, outLen);
  return true;
}

}  // namespace viaguard
