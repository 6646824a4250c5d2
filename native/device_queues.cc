#include "device_queues.h"

#include <algorithm>

#include "crypto_pool.h"
#include "ip_packet.h"

namespace viaguard {

size_t DefaultDeviceQueues() {
  // Each queue adds a transmit I/O thread; the crypto pool has a thread per CPU already, so a
  // few I/O threads keep many cores busy.
  return std::max<size_t>(1, CryptoPool::UsableCpus() / 4);
}

DeviceQueues::DeviceQueues(IpDevice& first, size_t count, size_t linkHeader)
    : first_(first), linkHeader_(linkHeader) {
  for (size_t i = 1; i < count; ++i) {
    std::unique_ptr<IpDevice> queue = first_.OpenQueue();
    if (!queue) break;
    others_.push_back(std::move(queue));
  }
}

IpDevice& DeviceQueues::ForPacket(const uint8_t* packet, size_t length) {
  if (others_.empty() || length < linkHeader_) return first_;
  uint32_t hash = SymmetricFlowHash(packet + linkHeader_, length - linkHeader_);
  return At(static_cast<size_t>((static_cast<uint64_t>(hash) * Count()) >> 32));
}

}  // namespace viaguard
