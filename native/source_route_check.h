// Whether the remembered source address of a peer still holds, asked on the send path as the
// kernel's send4/send6 do after a routing change (their dst_cache is invalidated by the route
// genid): the address must still be ours and the route to the peer from it must leave by the
// interface the peer's packets came in by. A NETLINK_ROUTE socket joined to the address, route
// and rule groups tells that something changed (Generation: drained without blocking, once per
// transmit batch); a second one asks `ip route get PEER from LOCAL [mark M]` (StillRouted),
// once per peer per change. Both live in the namespace of our UDP sockets (this thread's).
#pragma once
#include <atomic>
#include <cstdint>
#include <mutex>

#include "endpoint.h"
#include "netlink.h"

namespace viaguard {

class SourceRouteCheck {
 public:
  // Opens both sockets. Throws std::system_error.
  void Open();
  void Close();

  // Bumped whenever an address, route or rule changed (or notifications were lost) since the
  // last call. Starts at 1: a remembered source confirmed at 0 is checked once.
  uint64_t Generation();

  // Whether the kernel still sends to e from e's local address out of e.localIfindex. False
  // when it refuses (EINVAL: not our address; ENETUNREACH...) or routes elsewhere; true when
  // the question cannot be asked (then the send path's own error handling remains).
  bool StillRouted(const Endpoint& e, uint32_t mark);

 private:
  std::mutex mu_;
  RtnlSocket changes_;
  RtnlSocket queries_;
  uint64_t generation_ = 1;
  uint32_t sequence_ = 0;
};

}  // namespace viaguard
