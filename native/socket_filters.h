// Classic BPF programs that keep a flood off the receive thread (see UdpSockets):
// - a socket filter that drops, in the kernel, every datagram that cannot be a WireGuard message
//   (unknown type, reserved bytes set, wrong length for its type), before it is queued;
// - a SO_REUSEPORT steering program that sends datagrams from known endpoints (the peers') to
//   one of the group's first `lanes` sockets (each read by its own receive thread; a peer always
//   to the same one, so its packets stay in order) and everything else (strangers) to the last,
//   so a peer's packets never wait behind a stranger's.
#pragma once
#include <linux/filter.h>

#include <cstddef>
#include <vector>

#include "endpoint.h"

namespace viaguard {

// Index of each socket in the reuseport group (bind order): the lanes' sockets, then the
// strangers'.
constexpr unsigned StrangerSocket(unsigned lanes) { return lanes; }

// The lane (0..lanes-1) whose socket gets the endpoint's datagrams.
unsigned KnownLane(const Endpoint& endpoint, unsigned lanes);

std::vector<sock_filter> WireGuardMessageFilter();

// Steers datagrams of family (AF_INET/AF_INET6) from one of endpoints (others' families are
// ignored) to its KnownLane, the rest to StrangerSocket. With more endpoints than one program
// can test, every source goes to the lane KnownLane names for it (no separation, nothing lost).
std::vector<sock_filter> SteeringProgram(int family, const std::vector<Endpoint>& endpoints,
                                         unsigned lanes);

}  // namespace viaguard
