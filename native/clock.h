// The data plane's clock: CLOCK_MONOTONIC. Every timestamp it stores and reports uses it.
#pragma once
#include <cstdint>
#include <ctime>

namespace viaguard {

inline uint64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace viaguard
