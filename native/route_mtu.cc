#include "route_mtu.h"

#include <stdexcept>
#include <string>

namespace viaguard {

void RouteMtuTable::Replace(const std::vector<RouteMtu>& routes) {
  auto table = std::make_shared<AllowedIps>();
  for (size_t i = 0; i < routes.size(); ++i) {
    const RouteMtu& route = routes[i];
    const unsigned bits = route.family == Family::kIpv4 ? 32 : route.family == Family::kIpv6 ? 128 : 0;
    if (bits == 0 || route.cidr > bits || route.mtu == 0) {
      throw std::invalid_argument("route MTU entry " + std::to_string(i) + " is malformed");
    }
    const PeerId previous = table->Insert(route.family, route.address, route.cidr, route.mtu);
    if (previous != kNoPeer && previous < route.mtu) table->Insert(route.family, route.address, route.cidr, previous);
  }
  const size_t count = table->Count();
  std::atomic_store(&table_, std::shared_ptr<const AllowedIps>(std::move(table)));
  count_.store(count, std::memory_order_relaxed);
}

uint32_t RouteMtuTable::Lookup(Family family, const uint8_t* address) const {
  if (count_.load(std::memory_order_relaxed) == 0) return 0;
  const std::shared_ptr<const AllowedIps> table = std::atomic_load(&table_);
  return table ? table->Lookup(family, address) : 0;
}

}  // namespace viaguard
