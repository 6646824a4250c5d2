// Handshake admission on the receive thread, before any costly work (kernel receive.c and
// ratelimiter.c): while the handshakes queued for the control plane are many (or were less than
// UNDER_LOAD_AFTER_TIME ago), each source — an IPv4 address or an IPv6 /64 — may send 20
// handshake-class messages per second with a burst of 5. A flood from few sources then costs a
// lookup per datagram instead of a MAC and a trip to JavaScript, and what we answer (cookie
// replies, responses) is bounded per source, so the daemon is never a reflector. Sources beyond
// kMaxEntries are refused while the table is full, as in the kernel. Used by one thread only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "endpoint.h"

namespace viaguard {

class HandshakeRatelimiter {
 public:
  static constexpr uint64_t kPacketsPerSecond = 20;
  static constexpr uint64_t kBurst = 5;
  static constexpr size_t kMaxEntries = 65536;

  // queued: handshake messages waiting for the control plane now (this one excluded).
  bool Allow(const Endpoint& source, size_t queued, uint64_t nowNs);
  bool UnderLoad(uint64_t nowNs) const { return nowNs < underLoadUntilNs_; }
  size_t Size() const { return buckets_.size(); }

 private:
  struct Bucket {
    uint64_t tokens;  // in ns of budget: one packet costs kPacketCost
    uint64_t lastNs;
  };
  static constexpr uint64_t kPacketCost = 1000000000ULL / kPacketsPerSecond;
  static constexpr uint64_t kTokenMax = kPacketCost * kBurst;

  void Collect(uint64_t nowNs);

  std::unordered_map<uint64_t, Bucket> buckets_;
  uint64_t underLoadUntilNs_ = 0;
  uint64_t lastCollectionNs_ = 0;
};

}  // namespace viaguard
