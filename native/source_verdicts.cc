#include "source_verdicts.h"

#include <mutex>

namespace viaguard {

SourceVerdicts::Verdict SourceVerdicts::Lookup(const AddressKey& source,
                                               const AddressKey& destination, PeerId peer) const {
  std::shared_lock lock(mu_);
  auto it = verdicts_.find(Key{source, destination, peer});
  if (it == verdicts_.end()) return Verdict::kUnknown;
  return it->second ? Verdict::kAccept : Verdict::kReject;
}

SourceVerdicts::PendResult SourceVerdicts::Pend(const AddressKey& source,
                                                const AddressKey& destination, PeerId peer,
                                                const uint8_t* packet, size_t length) {
  std::unique_lock lock(mu_);
  Key key{source, destination, peer};
  auto it = pending_.find(key);
  if (it == pending_.end()) {
    if (pending_.size() >= kMaxPendingPairs) return PendResult::kFull;
    pending_[key].emplace_back(packet, packet + length);
    return PendResult::kAsk;
  }
  if (it->second.size() >= kMaxPendingPackets) return PendResult::kFull;
  it->second.emplace_back(packet, packet + length);
  return PendResult::kQueued;
}

std::vector<std::vector<uint8_t>> SourceVerdicts::Settle(const AddressKey& source,
                                                         const AddressKey& destination,
                                                         PeerId peer, bool accept,
                                                         uint64_t generation) {
  std::unique_lock lock(mu_);
  Key key{source, destination, peer};
  if (generation == generation_) {
    if (verdicts_.size() >= kMaxVerdicts) verdicts_.clear();
    verdicts_[key] = accept;
  }
  std::vector<std::vector<uint8_t>> held;
  auto it = pending_.find(key);
  if (it != pending_.end()) {
    held.swap(it->second);
    pending_.erase(it);
  }
  return held;
}

void SourceVerdicts::Clear() {
  std::unique_lock lock(mu_);
  verdicts_.clear();
  ++generation_;
}

size_t SourceVerdicts::RemovePeer(PeerId peer) {
  std::unique_lock lock(mu_);
  size_t dropped = 0;
  for (auto it = verdicts_.begin(); it != verdicts_.end();) {
    it = it->first.peer == peer ? verdicts_.erase(it) : std::next(it);
  }
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->first.peer != peer) {
      ++it;
      continue;
    }
    dropped += it->second.size();
    it = pending_.erase(it);
  }
  return dropped;
}

uint64_t SourceVerdicts::Generation() const {
  std::shared_lock lock(mu_);
  return generation_;
}

}  // namespace viaguard
