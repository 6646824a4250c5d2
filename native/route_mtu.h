// The MTU of the routes through our interface that carry one (`ip route add ... mtu 1299`,
// RTAX_MTU), by destination prefix. The kernel pads a data packet up to the MTU of the route it
// took (dst_mtu); a TUN reader never sees that route, so the control plane installs these
// prefixes here and the send path pads to min(device MTU, Lookup(destination)).
// Policy rules are not modelled: the longest prefix over the routes of every table wins, and of
// several routes with the same prefix the smallest MTU.
// Read-mostly: Replace swaps in a new immutable trie; Lookup takes no lock and costs one relaxed
// load while the table is empty.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "allowedips.h"

namespace viaguard {

struct RouteMtu {
  Family family;
  uint8_t address[16];  // 4 or 16 bytes used
  uint8_t cidr;
  uint32_t mtu;  // > 0
};

class RouteMtuTable {
 public:
  // Replaces every entry. Throws std::invalid_argument (nothing changed) on a bad entry.
  void Replace(const std::vector<RouteMtu>& routes);

  // The MTU of the longest matching prefix; 0 when none matches. address is 4 or 16 bytes.
  uint32_t Lookup(Family family, const uint8_t* address) const;

  size_t Count() const { return count_.load(std::memory_order_relaxed); }

 private:
  // The trie's "peer" is the MTU: both are non-zero 32-bit values.
  std::shared_ptr<const AllowedIps> table_;  // accessed with std::atomic_load/atomic_store
  std::atomic<size_t> count_{0};
};

}  // namespace viaguard
