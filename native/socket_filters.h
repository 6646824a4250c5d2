// Classic BPF programs that keep a flood off the receive thread (see UdpSockets):
// - a socket filter that drops, in the kernel, every datagram that cannot be a WireGuard message
//   (unknown type, reserved bytes set, wrong length for its type), before it is queued;
// - a SO_REUSEPORT steering program that sends datagrams from known endpoints (the peers') to
//   the first socket of the group and everything else (strangers) to the second, so a peer's
//   packets never wait behind a stranger's.
#pragma once
#include <linux/filter.h>

#include <cstddef>
#include <vector>

#include "endpoint.h"

namespace viaguard {

// Index of each socket in the reuseport group (bind order).
constexpr unsigned kKnownSocket = 0;
constexpr unsigned kStrangerSocket = 1;

std::vector<sock_filter> WireGuardMessageFilter();

// Steers datagrams of family (AF_INET/AF_INET6) from one of endpoints (others' families are
// ignored) to kKnownSocket, the rest to kStrangerSocket. With more endpoints than one program
// can test, everything goes to kKnownSocket (no separation, nothing lost).
std::vector<sock_filter> SteeringProgram(int family, const std::vector<Endpoint>& endpoints);

}  // namespace viaguard
