// One peer's data-plane state: its keypair slots, endpoint, staged packets, counters and the
// timestamps the control plane's timers read.
#pragma once
#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "allowedips.h"
#include "endpoint.h"
#include "keypair.h"

namespace viaguard {

struct Peer {
  explicit Peer(PeerId peerId) : id(peerId) {}

  const PeerId id;

  std::mutex mu;  // guards the fields down to the atomics
  KeypairSlots keypairs;
  Endpoint endpoint;
  std::deque<std::vector<uint8_t>> staged;  // plaintext IP packets waiting for a session
  bool lastMinuteHandshakeSent = false;     // kernel: peer->sent_lastminute_handshake

  // Monotonic nanoseconds; 0 means never.
  std::atomic<uint64_t> lastNeedHandshakeNs{0};
  std::atomic<uint64_t> lastDataSentNs{0};
  std::atomic<uint64_t> lastDataReceivedNs{0};
  std::atomic<uint64_t> lastAuthSentNs{0};
  std::atomic<uint64_t> lastAuthReceivedNs{0};

  std::atomic<uint64_t> rxBytes{0};
  std::atomic<uint64_t> txBytes{0};
  std::atomic<uint64_t> sourceCheckDrops{0};
  std::atomic<uint64_t> stagedCount{0};  // mirrors staged.size() for lock-free snapshots
  std::atomic<uint64_t> mac{0};          // route mode: the MAC that stands for it (0: none yet)

  void NoteAuthenticatedSent(uint64_t nowNs, bool data) {
    lastAuthSentNs.store(nowNs, std::memory_order_relaxed);
    if (data) lastDataSentNs.store(nowNs, std::memory_order_relaxed);
  }
  void NoteAuthenticatedReceived(uint64_t nowNs) {
    lastAuthReceivedNs.store(nowNs, std::memory_order_relaxed);
  }
};

}  // namespace viaguard
