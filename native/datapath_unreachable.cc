// The transmit thread's answer to a packet the tunnel cannot carry: an ICMP/ICMPv6 destination
// unreachable written back through the device (icmp_error.h), within a rate limit.
#include "datapath.h"
#include "icmp_error.h"

namespace viaguard {

void DataPlane::AnswerUnreachable(const uint8_t* packet, size_t length, uint64_t now) {
  uint8_t answer[kMaxUnreachableFrame];
  size_t size = ethernet_ ? BuildUnreachableFrame(packet - kEthernetHeaderSize, length, answer)
                          : BuildUnreachable(packet, length, answer);
  if (size == 0) return;
  if (!unreachableBudget_.Take(now)) {
    counters_.Add(Counter::kUnreachableRateLimited);
    return;
  }
  counters_.Add(device_->Write(answer, size) ? Counter::kUnreachableSent
                                             : Counter::kDroppedTunWriteFailed);
}

}  // namespace viaguard
