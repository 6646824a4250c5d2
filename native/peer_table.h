// Peers by id and keypairs by local (receiver) index. One reader/writer lock guards both maps;
// each peer's own mutex guards its slots. Lock order: table, then peer.
#pragma once
#include <functional>
#include <memory>
#include <shared_mutex>
#include <unordered_map>

#include "peer.h"

namespace viaguard {

class PeerTable {
 public:
  struct IndexEntry {
    KeypairPtr keypair;
    std::shared_ptr<Peer> peer;
  };

  bool Add(PeerId id);  // false when it exists
  // Removes the peer, its keypairs from the index and its staged packets; null when unknown.
  std::shared_ptr<Peer> Remove(PeerId id);
  std::shared_ptr<Peer> Find(PeerId id) const;
  bool FindByIndex(uint32_t localIndex, IndexEntry* out) const;

  // Throws std::invalid_argument for an unknown peer or a local index already in use.
  void Install(PeerId id, KeypairPtr keypair);
  bool RemoveKeypair(uint32_t localIndex);
  bool ClearKeypairs(PeerId id);  // false when the peer is unknown
  // Applies KeypairSlots::ReceivedWith under the locks, unregistering what it evicts.
  bool ReceivedWith(Peer& peer, const Keypair* keypair);

  void ForEach(const std::function<void(Peer&)>& visit) const;
  std::vector<std::shared_ptr<Peer>> All() const;

 private:
  void UnregisterLocked(const std::vector<KeypairPtr>& keypairs);

  mutable std::shared_mutex mu_;
  std::unordered_map<PeerId, std::shared_ptr<Peer>> peers_;
  std::unordered_map<uint32_t, IndexEntry> byIndex_;
};

}  // namespace viaguard
