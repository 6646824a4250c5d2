#include "peer_table.h"

#include <mutex>
#include <stdexcept>
#include <string>

namespace viaguard {

bool PeerTable::Add(PeerId id) {
  std::unique_lock lock(mu_);
  return peers_.emplace(id, std::make_shared<Peer>(id)).second;
}

std::shared_ptr<Peer> PeerTable::Remove(PeerId id) {
  std::unique_lock lock(mu_);
  auto it = peers_.find(id);
  if (it == peers_.end()) return nullptr;
  std::shared_ptr<Peer> peer = std::move(it->second);
  peers_.erase(it);
  std::vector<KeypairPtr> evicted;
  {
    std::lock_guard peerLock(peer->mu);
    peer->keypairs.Clear(&evicted);
    peer->staged.clear();
    peer->stagedCount.store(0, std::memory_order_relaxed);
  }
  UnregisterLocked(evicted);
  return peer;
}

std::shared_ptr<Peer> PeerTable::Find(PeerId id) const {
  std::shared_lock lock(mu_);
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second;
}

bool PeerTable::FindByIndex(uint32_t localIndex, IndexEntry* out) const {
  std::shared_lock lock(mu_);
  auto it = byIndex_.find(localIndex);
  if (it == byIndex_.end()) return false;
  *out = it->second;
  return true;
}

void PeerTable::Install(PeerId id, KeypairPtr keypair) {
  std::unique_lock lock(mu_);
  auto it = peers_.find(id);
  if (it == peers_.end()) throw std::invalid_argument("unknown peer " + std::to_string(id));
  if (byIndex_.count(keypair->localIndex) != 0) {
    throw std::invalid_argument("local index " + std::to_string(keypair->localIndex) +
                                " is already in use");
  }
  Peer& peer = *it->second;
  byIndex_.emplace(keypair->localIndex, IndexEntry{keypair, it->second});
  std::vector<KeypairPtr> evicted;
  {
    std::lock_guard peerLock(peer.mu);
    peer.keypairs.Add(std::move(keypair), &evicted);
    peer.lastMinuteHandshakeSent = false;
  }
  peer.lastNeedHandshakeNs.store(0, std::memory_order_relaxed);
  UnregisterLocked(evicted);
}

bool PeerTable::RemoveKeypair(uint32_t localIndex) {
  std::unique_lock lock(mu_);
  auto it = byIndex_.find(localIndex);
  if (it == byIndex_.end()) return false;
  std::shared_ptr<Peer> peer = it->second.peer;
  byIndex_.erase(it);
  std::lock_guard peerLock(peer->mu);
  peer->keypairs.Remove(localIndex);
  return true;
}

bool PeerTable::ClearKeypairs(PeerId id) {
  std::unique_lock lock(mu_);
  auto it = peers_.find(id);
  if (it == peers_.end()) return false;
  std::vector<KeypairPtr> evicted;
  {
    std::lock_guard peerLock(it->second->mu);
    it->second->keypairs.Clear(&evicted);
  }
  UnregisterLocked(evicted);
  return true;
}

bool PeerTable::ReceivedWith(Peer& peer, const Keypair* keypair) {
  {
    // Fast path for every packet: nothing to rotate unless this keypair waits in next.
    std::lock_guard peerLock(peer.mu);
    if (peer.keypairs.next().get() != keypair) return false;
  }
  std::unique_lock lock(mu_);
  std::vector<KeypairPtr> evicted;
  bool rotated;
  {
    std::lock_guard peerLock(peer.mu);
    rotated = peer.keypairs.ReceivedWith(keypair, &evicted);
  }
  UnregisterLocked(evicted);
  return rotated;
}

std::vector<std::shared_ptr<Peer>> PeerTable::All() const {
  std::shared_lock lock(mu_);
  std::vector<std::shared_ptr<Peer>> out;
  out.reserve(peers_.size());
  for (const auto& entry : peers_) out.push_back(entry.second);
  return out;
}

void PeerTable::ForEach(const std::function<void(Peer&)>& visit) const {
  std::shared_lock lock(mu_);
  for (const auto& [id, peer] : peers_) visit(*peer);
}

void PeerTable::UnregisterLocked(const std::vector<KeypairPtr>& keypairs) {
  for (const KeypairPtr& keypair : keypairs) {
    auto it = byIndex_.find(keypair->localIndex);
    if (it != byIndex_.end() && it->second.keypair == keypair) byIndex_.erase(it);
  }
}

}  // namespace viaguard
