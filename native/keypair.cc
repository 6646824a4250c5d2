#include "keypair.h"

#include <utility>

namespace viaguard {

Keypair::Keypair(const KeypairParams& params)
    : localIndex(params.localIndex),
      remoteIndex(params.remoteIndex),
      initiator(params.initiator),
      birthNs(params.birthNs),
      sender(params.sendKey),
      receiver(params.receiveKey) {}

namespace {

void Evict(KeypairPtr& slot, std::vector<KeypairPtr>* evicted) {
  if (slot) evicted->push_back(std::move(slot));
  slot.reset();
}

}  // namespace

void KeypairSlots::Add(KeypairPtr keypair, std::vector<KeypairPtr>* evicted) {
  if (keypair->initiator) {
    // As the kernel: a next keypair that was never confirmed is kept as previous, because the
    // peer may already be sending with it; otherwise the outgoing current becomes previous.
    Evict(previous_, evicted);
    if (next_) {
      previous_ = std::move(next_);
      next_.reset();
      Evict(current_, evicted);
    } else {
      previous_ = std::move(current_);
      current_.reset();
    }
    current_ = std::move(keypair);
  } else {
    Evict(next_, evicted);
    next_ = std::move(keypair);
    Evict(previous_, evicted);
  }
}

bool KeypairSlots::ReceivedWith(const Keypair* keypair, std::vector<KeypairPtr>* evicted) {
  if (!next_ || next_.get() != keypair) return false;
  Evict(previous_, evicted);
  previous_ = std::move(current_);
  current_ = std::move(next_);
  next_.reset();
  return true;
}

KeypairPtr KeypairSlots::Remove(uint32_t localIndex) {
  for (KeypairPtr* slot : {&previous_, &current_, &next_}) {
    if (*slot && (*slot)->localIndex == localIndex) {
      KeypairPtr removed = std::move(*slot);
      slot->reset();
      return removed;
    }
  }
  return nullptr;
}

void KeypairSlots::Clear(std::vector<KeypairPtr>* evicted) {
  Evict(previous_, evicted);
  Evict(current_, evicted);
  Evict(next_, evicted);
}

}  // namespace viaguard
