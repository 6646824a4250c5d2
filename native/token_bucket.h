// A token bucket: at most `burst` events at once, refilled at `perSecond`. Thread-safe.
#pragma once
#include <cstdint>
#include <mutex>

#include "protocol_constants.h"

namespace viaguard {

class TokenBucket {
 public:
  TokenBucket(uint64_t perSecond, uint64_t burst)
      : costNs_(kNsPerSecond / perSecond), capacityNs_(burst * costNs_), creditNs_(capacityNs_) {}

  // Takes one token at monotonic time nowNs; false when the bucket is empty.
  bool Take(uint64_t nowNs) {
    std::lock_guard lock(mu_);
    if (nowNs > lastNs_) {
      uint64_t refill = nowNs - lastNs_;
      creditNs_ = refill >= capacityNs_ - creditNs_ ? capacityNs_ : creditNs_ + refill;
      lastNs_ = nowNs;
    }
    if (creditNs_ < costNs_) return false;
    creditNs_ -= costNs_;
    return true;
  }

 private:
  std::mutex mu_;
  const uint64_t costNs_;
  const uint64_t capacityNs_;
  uint64_t creditNs_;
  uint64_t lastNs_ = 0;
};

}  // namespace viaguard
