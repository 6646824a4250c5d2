#include "learnt_addresses.h"

#include <mutex>

namespace viaguard {

LearntAddresses::LearnResult LearntAddresses::Learn(const AddressKey& address, PeerId peer) {
  {
    std::shared_lock lock(mu_);
    auto it = owners_.find(address);
    if (it != owners_.end() && it->second == peer) return LearnResult::kKnown;
  }
  std::unique_lock lock(mu_);
  auto it = owners_.find(address);
  if (it != owners_.end()) {
    if (it->second == peer) return LearnResult::kKnown;
    it->second = peer;
    return LearnResult::kMoved;
  }
  if (owners_.size() >= kMaxLearnt) return LearnResult::kFull;
  owners_.emplace(address, peer);
  return LearnResult::kNew;
}

PeerId LearntAddresses::Lookup(const AddressKey& address) const {
  std::shared_lock lock(mu_);
  auto it = owners_.find(address);
  return it == owners_.end() ? kNoPeer : it->second;
}

void LearntAddresses::RemovePeer(PeerId peer) {
  std::unique_lock lock(mu_);
  for (auto it = owners_.begin(); it != owners_.end();) {
    it = it->second == peer ? owners_.erase(it) : std::next(it);
  }
}

std::vector<AddressKey> LearntAddresses::OfPeer(PeerId peer) const {
  std::vector<AddressKey> out;
  std::shared_lock lock(mu_);
  for (const auto& [address, owner] : owners_) {
    if (owner == peer) out.push_back(address);
  }
  return out;
}

}  // namespace viaguard
