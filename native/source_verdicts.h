// The `route` source check's memory: whether a packet from peer P with source S to our address
// D is accepted (the kernel's route from D back to S goes via P: rules on source see D), as
// decided by the control plane over netlink.
// The receive thread consults it per packet; for a pair it has never seen it holds the packet
// and asks once; the control plane answers in batches (Settle) and clears the cache when routes,
// rules or ownership change. A generation number keeps an answer computed before a clear from
// being cached after it. Thread-safe and bounded.
#pragma once
#include <cstddef>
#include <cstdint>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "address_key.h"

namespace viaguard {

class SourceVerdicts {
 public:
  static constexpr size_t kMaxVerdicts = 65536;     // the cache starts over when full
  static constexpr size_t kMaxPendingPairs = 1024;  // sources awaiting an answer
  static constexpr size_t kMaxPendingPackets = 16;  // per pair; more are dropped

  enum class Verdict { kUnknown, kAccept, kReject };
  Verdict Lookup(const AddressKey& source, const AddressKey& destination, PeerId peer) const;

  enum class PendResult { kAsk, kQueued, kFull };
  // Holds a packet (the bytes to write to the device) until the pair is settled. kAsk: the
  // first for this pair, the caller must ask the control plane (with Generation()).
  PendResult Pend(const AddressKey& source, const AddressKey& destination, PeerId peer,
                  const uint8_t* packet, size_t length);

  // Records the answer (unless generation is older than the last Clear) and returns the
  // packets that waited for it.
  std::vector<std::vector<uint8_t>> Settle(const AddressKey& source,
                                           const AddressKey& destination, PeerId peer,
                                           bool accept, uint64_t generation);

  void Clear();
  // Forgets a removed peer's verdicts and held packets; returns how many packets were dropped.
  size_t RemovePeer(PeerId peer);
  uint64_t Generation() const;

 private:
  struct Key {
    AddressKey source;
    AddressKey destination;
    PeerId peer;
    bool operator==(const Key& o) const {
      return peer == o.peer && source == o.source && destination == o.destination;
    }
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      AddressKeyHash hash;
      return (hash(k.source) * 31 + hash(k.destination)) * 31 + k.peer;
    }
  };

  mutable std::shared_mutex mu_;
  std::unordered_map<Key, bool, KeyHash> verdicts_;
  std::unordered_map<Key, std::vector<std::vector<uint8_t>>, KeyHash> pending_;
  uint64_t generation_ = 1;
};

}  // namespace viaguard
