// Anti-replay window of RFC 6479: a ring of 64-bit words, 128 words, of which one is always
// being recycled, so the window accepts counters up to 8128 (= 127 * 64) behind the newest.
#pragma once
#include <cstdint>

#include "protocol_constants.h"

namespace viaguard {

class ReplayWindow {
 public:
  static constexpr uint64_t kWords = 128;
  static constexpr uint64_t kWindowSize = (kWords - 1) * 64;  // 8128

  // Accepts counter (and remembers it) when it is below limit, not older than the window and
  // not seen before. Call only for authenticated packets. limit defaults to kRejectAfterMessages.
  bool Accept(uint64_t counter, uint64_t limit = kRejectAfterMessages);

  void Reset();

 private:
  uint64_t greatest_ = 0;
  bool any_ = false;
  uint64_t bitmap_[kWords] = {};
};

}  // namespace viaguard
