// RFC 6479 anti-replay bitmap, with the window rule of the Linux kernel's counter_validate()
// (drivers/net/wireguard/receive.c): a counter exactly kWindowSize behind the newest one is
// still accepted, one further back is not. Bit i of the ring stands for counter i; moving the
// newest counter forward only clears the words it skips, so no bitmap is ever shifted.
#include "replay.h"

namespace viaguard {

namespace {
constexpr uint64_t kBitsPerWord = 64;
constexpr uint64_t kWordShift = 6;
constexpr uint64_t kRingMask = ReplayWindow::kWords - 1;
static_assert((ReplayWindow::kWords & kRingMask) == 0, "the ring size must be a power of two");
}  // namespace

bool ReplayWindow::Accept(uint64_t counter, uint64_t limit) {
  if (counter >= limit) return false;
  if (any_ && counter < greatest_ && greatest_ - counter > kWindowSize) return false;

  const uint64_t word = counter >> kWordShift;
  if (!any_) {
    any_ = true;
    greatest_ = counter;
  } else if (counter > greatest_) {
    // Clear the words after the old newest counter's word up to the new one's (at most the
    // whole ring): their bits belong to counters that have just left the window.
    const uint64_t currentWord = greatest_ >> kWordShift;
    const uint64_t skipped = word - currentWord < kWords ? word - currentWord : kWords;
    for (uint64_t i = 1; i <= skipped; ++i) bitmap_[(currentWord + i) & kRingMask] = 0;
    greatest_ = counter;
  }

  uint64_t& slot = bitmap_[word & kRingMask];
  const uint64_t bit = 1ULL << (counter & (kBitsPerWord - 1));
  if (slot & bit) return false;
  slot |= bit;
  return true;
}

void ReplayWindow::Reset() {
  greatest_ = 0;
  any_ = false;
  for (uint64_t& w : bitmap_) w = 0;
}

}  // namespace viaguard
