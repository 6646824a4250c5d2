// The transmit thread's answer to a packet the tunnel cannot carry: an ICMP/ICMPv6 destination
// unreachable (icmp_error.h), within a rate limit, handed to the UnreachableSender, which asks
// conntrack whether it goes back through the device or from the host stack.
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
  if (unreachable_->Offer(answer, size)) return;
  // The sender is behind: answer through the device at once, as for a packet without NAT.
  counters_.Add(device_->Write(answer, size) ? Counter::kUnreachableSent
                                             : Counter::kDroppedTunWriteFailed);
}

}  // namespace viaguard
