// A WireGuard session's keys as the data plane uses them, and the three keypair slots of a
// peer (previous / current / next) rotated exactly as the kernel's noise.c does in
// add_new_keypair() and wg_noise_received_with_keypair().
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "aead.h"
#include "protocol_constants.h"
#include "replay.h"

namespace viaguard {

struct KeypairParams {
  uint32_t localIndex;   // our receiver index: incoming data messages carry it
  uint32_t remoteIndex;  // the peer's index: we put it in outgoing data messages
  uint8_t sendKey[ChaChaPoly::kKeySize];
  uint8_t receiveKey[ChaChaPoly::kKeySize];
  bool initiator;  // we sent the initiation of the handshake that derived these keys
  uint64_t birthNs;  // when the keys were derived (monotonic); ages count from here
};

class Keypair {
 public:
  explicit Keypair(const KeypairParams& params);

  const uint32_t localIndex;
  const uint32_t remoteIndex;
  const bool initiator;
  const uint64_t birthNs;

  ChaChaPoly sender;    // used by the transmit thread and its crypto pool
  ChaChaPoly receiver;  // used by the receive thread and its crypto pool
  // The receive threads' state of this session: held over each run of its messages.
  std::mutex receiveMu;
  ReplayWindow replay;  // guarded by receiveMu

  // An accepted counter (receiveMu held): the newest one lets packets too old for the window
  // be dropped before paying for decryption (TooOld, read without the lock: a hint only, the
  // window decides).
  void NoteReceived(uint64_t counter) {
    uint64_t newest = greatestReceivedPlusOne_.load(std::memory_order_relaxed);
    if (counter + 1 > newest) greatestReceivedPlusOne_.store(counter + 1, std::memory_order_relaxed);
  }
  bool TooOld(uint64_t counter) const {
    uint64_t newest = greatestReceivedPlusOne_.load(std::memory_order_relaxed);
    return newest != 0 && counter + 1 < newest && newest - 1 - counter > ReplayWindow::kWindowSize;
  }
  std::atomic<uint64_t> sendCounter{0};

  bool Expired(uint64_t nowNs) const { return nowNs - birthNs >= kRejectAfterTime; }
  // Usable for sending: young enough and counter not exhausted (kernel send.c).
  bool CanSend(uint64_t nowNs) const {
    return !Expired(nowNs) && sendCounter.load(std::memory_order_relaxed) < kRejectAfterMessages;
  }

 private:
  std::atomic<uint64_t> greatestReceivedPlusOne_{0};  // 0: nothing received yet
};

using KeypairPtr = std::shared_ptr<Keypair>;

// Not synchronised: the owning peer's mutex guards it.
class KeypairSlots {
 public:
  // Installs a new keypair. An initiator's keypair becomes current at once (a waiting next
  // becomes previous, else the old current does); a responder's waits in next until the
  // peer proves it has it by sending data with it. Appends dropped keypairs to *evicted.
  void Add(KeypairPtr keypair, std::vector<KeypairPtr>* evicted);

  // Called for every authenticated data packet: when keypair is the one waiting in next, it
  // becomes current and current becomes previous. Returns whether that rotation happened.
  bool ReceivedWith(const Keypair* keypair, std::vector<KeypairPtr>* evicted);

  // Drops the keypair with this local index, if held. Returns it (null when not held).
  KeypairPtr Remove(uint32_t localIndex);
  void Clear(std::vector<KeypairPtr>* evicted);

  const KeypairPtr& previous() const { return previous_; }
  const KeypairPtr& current() const { return current_; }
  const KeypairPtr& next() const { return next_; }

 private:
  KeypairPtr previous_;
  KeypairPtr current_;
  KeypairPtr next_;
};

}  // namespace viaguard
