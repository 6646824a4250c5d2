#include "handshake_ratelimiter.h"

#include <arpa/inet.h>

#include <cstring>
#include <iterator>

#include "protocol_constants.h"

namespace viaguard {
namespace {

// An IPv4 address, or the /64 of an IPv6 one, with the family in the top bit (the /64's top bit
// is folded into bit 62 so the two families cannot collide).
uint64_t SourceKey(const Endpoint& source) {
  if (!source.IsV6()) return ntohl(source.addr.v4.sin_addr.s_addr);
  uint64_t prefix;
  std::memcpy(&prefix, source.addr.v6.sin6_addr.s6_addr, sizeof prefix);
  return (prefix >> 1) | (uint64_t{1} << 63);
}

}  // namespace

bool HandshakeRatelimiter::Allow(const Endpoint& source, size_t queued, uint64_t nowNs) {
  if (queued >= kHandshakeUnderLoadQueueLength) underLoadUntilNs_ = nowNs + kUnderLoadAfterTime;
  if (!UnderLoad(nowNs)) return true;
  Collect(nowNs);
  uint64_t key = SourceKey(source);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMaxEntries) return false;
    buckets_.emplace(key, Bucket{kTokenMax - kPacketCost, nowNs});
    return true;
  }
  Bucket& b = it->second;
  uint64_t refill = nowNs > b.lastNs ? nowNs - b.lastNs : 0;
  b.tokens = refill >= kTokenMax - b.tokens ? kTokenMax : b.tokens + refill;
  b.lastNs = nowNs;
  if (b.tokens < kPacketCost) return false;
  b.tokens -= kPacketCost;
  return true;
}

void HandshakeRatelimiter::Collect(uint64_t nowNs) {
  // A bucket idle for a second is full again: forgetting it changes nothing.
  if (nowNs - lastCollectionNs_ < kNsPerSecond) return;
  lastCollectionNs_ = nowNs;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = nowNs - it->second.lastNs >= kNsPerSecond ? buckets_.erase(it) : std::next(it);
  }
}

}  // namespace viaguard
