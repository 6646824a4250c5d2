// Reading the IP header of the packets that cross the tunnel, and the padding rule of
// WireGuard data messages. Pure functions: no state, no I/O.
#pragma once
#include <cstddef>
#include <cstdint>

#include "allowedips.h"

namespace viaguard {

struct IpHeaderView {
  Family family;
  const uint8_t* source;       // 4 or 16 bytes
  const uint8_t* destination;  // 4 or 16 bytes
  size_t totalLength;          // length claimed by the header (IPv6: 40 + payload length)
};

// Parses the fixed IPv4/IPv6 header at packet. False when the version is neither 4 nor 6, the
// buffer is shorter than the header, or the header's total length exceeds length. Packets read
// from the TUN device and decrypted packets are both checked with it.
bool ParseIpHeader(const uint8_t* packet, size_t length, IpHeaderView* out);

// Where an IPv6 packet's upper-layer header starts, past its extension headers (hop-by-hop,
// routing, fragment, destination options, authentication header).
struct Ipv6UpperLayer {
  uint8_t protocol;    // the last Next Header value seen
  size_t offset;       // where that header starts
  bool complete;       // false: the chain runs past the bytes given (protocol is an extension's)
  bool laterFragment;  // a fragment header with a non-zero offset was crossed
};

// Walks the extension headers of the IPv6 packet at packet within its first length bytes
// (at least the 40-byte fixed header).
Ipv6UpperLayer FindIpv6UpperLayer(const uint8_t* packet, size_t length);

// A hash of the packet's flow (addresses, protocol, TCP/UDP ports) that is the same for both
// directions of it: which device queue a flow's packets are written to, so that the kernel
// hands us its packets the other way on that queue too. 0 for what is no IP packet.
uint32_t SymmetricFlowHash(const uint8_t* packet, size_t length);

// The length to encrypt for a plaintext of length bytes: rounded up to a multiple of 16 but
// never beyond mtu (kernel send.c calculate_skb_padding; packets above mtu are not padded).
size_t PaddedLength(size_t length, size_t mtu);

}  // namespace viaguard
