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
  // The SourceRouteCheck generation endpoint's local address was last confirmed at; 0: since
  // it changed, never.
  uint64_t sourceConfirmedAt = 0;

  // Monotonic nanoseconds; 0 means never.
  std::atomic<uint64_t> lastNeedHandshakeNs{0};
  std::atomic<uint64_t> lastDataSentNs{0};
  std::atomic<uint64_t> lastDataReceivedNs{0};
  std::atomic<uint64_t> lastAuthSentNs{0};
  std::atomic<uint64_t> lastAuthReceivedNs{0};
  // The packets that arm the kernel's timers (timers.c): the first data sent since the last
  // authenticated receive starts the new-handshake timer, the first data received since the
  // last authenticated send the keepalive timer; 0 while none is waiting. The control plane
  // reads them when it checks, so a timer counts from its first packet, not the latest.
  std::atomic<uint64_t> firstDataSentSinceReceiveNs{0};
  std::atomic<uint64_t> firstDataReceivedSinceSendNs{0};

  std::atomic<uint64_t> rxBytes{0};
  std::atomic<uint64_t> txBytes{0};
  std::atomic<uint64_t> sourceCheckDrops{0};
  std::atomic<uint64_t> stagedCount{0};  // mirrors staged.size() for lock-free snapshots
  std::atomic<uint64_t> mac{0};          // route mode: the MAC that stands for it (0: none yet)

  void NoteAuthenticatedSent(uint64_t nowNs, bool data) {
    lastAuthSentNs.store(nowNs, std::memory_order_relaxed);
    ClearStamp(firstDataReceivedSinceSendNs);
    if (!data) return;
    lastDataSentNs.store(nowNs, std::memory_order_relaxed);
    SetStampOnce(firstDataSentSinceReceiveNs, nowNs);
  }
  void NoteAuthenticatedReceived(uint64_t nowNs) {
    lastAuthReceivedNs.store(nowNs, std::memory_order_relaxed);
    ClearStamp(firstDataSentSinceReceiveNs);
  }
  void NoteDataReceived(uint64_t nowNs) {
    lastDataReceivedNs.store(nowNs, std::memory_order_relaxed);
    SetStampOnce(firstDataReceivedSinceSendNs, nowNs);
  }

 private:
  // Loads first: in a steady flow the stamp is already set (or clear), and a store on every
  // packet would bounce the cache line between the transmit and receive threads.
  static void SetStampOnce(std::atomic<uint64_t>& stamp, uint64_t nowNs) {
    if (stamp.load(std::memory_order_relaxed) == 0) stamp.store(nowNs, std::memory_order_relaxed);
  }
  static void ClearStamp(std::atomic<uint64_t>& stamp) {
    if (stamp.load(std::memory_order_relaxed) != 0) stamp.store(0, std::memory_order_relaxed);
  }
};

}  // namespace viaguard
