// The queues of a multi-queue TUN/TAP device: the first (the device the data plane was given)
// and the others it opened. The kernel hands each outgoing flow to one queue, the one its packets
// were last written to; ForPacket writes each flow to the queue its symmetric hash names, so a
// flow's packets come and go through one queue, and the transmit threads (one per queue) share
// the flows between them.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "ip_device.h"

namespace viaguard {

// The kernel's limit (MAX_TAP_QUEUES in drivers/net/tun.c).
constexpr size_t kMaxDeviceQueues = 256;

// How many queues a data plane opens unless told.
size_t DefaultDeviceQueues();

class DeviceQueues {
 public:
  // Opens up to count - 1 more queues of first (fewer when it has one queue only, see
  // IpDevice::OpenQueue). linkHeader: bytes before each written packet's IP header (TAP: 14).
  // Throws std::system_error when the kernel refuses one.
  DeviceQueues(IpDevice& first, size_t count, size_t linkHeader);

  size_t Count() const { return 1 + others_.size(); }
  IpDevice& At(size_t i) { return i == 0 ? first_ : *others_[i - 1]; }
  // The queue to write this packet (TAP: frame) to.
  IpDevice& ForPacket(const uint8_t* packet, size_t length);

 private:
  IpDevice& first_;
  std::vector<std::unique_ptr<IpDevice>> others_;
  const size_t linkHeader_;
};

}  // namespace viaguard
