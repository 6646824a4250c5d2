// Route mode: addresses a peer's authenticated packets taught us (link-local sources, which
// routing daemons use as next hops), so ARP/NDP for them is answered with that peer's MAC.
// Thread-safe; bounded (past kMaxLearnt, nothing more is learnt until peers go away).
#pragma once
#include <cstddef>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "address_key.h"

namespace viaguard {

class LearntAddresses {
 public:
  static constexpr size_t kMaxLearnt = 16384;

  enum class LearnResult { kKnown, kNew, kMoved, kFull };
  // Records that peer owns address (moving it from another peer if needed).
  LearnResult Learn(const AddressKey& address, PeerId peer);
  PeerId Lookup(const AddressKey& address) const;
  void RemovePeer(PeerId peer);
  std::vector<AddressKey> OfPeer(PeerId peer) const;

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<AddressKey, PeerId, AddressKeyHash> owners_;
};

}  // namespace viaguard
