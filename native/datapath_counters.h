// Device-wide counters of the data plane: why packets were dropped, and what went through.
#pragma once
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace viaguard {

enum class Counter : size_t {
  kDroppedGarbage,               // too short, wrong size for its type
  kDroppedUnknownType,           // not a WireGuard message type
  kDroppedBadMac1,               // handshake message with a wrong mac1 (or no mac1 key set)
  kDroppedUnknownReceiverIndex,  // data message for no installed keypair
  kDroppedAuthFailed,            // data message that does not decrypt
  kDroppedReplayed,              // counter seen before or behind the replay window
  kDroppedExpiredKey,            // keypair past REJECT_AFTER_TIME / REJECT_AFTER_MESSAGES
  kDroppedNoRouteToPeer,         // outgoing packet whose destination no AllowedIPs covers
  kDroppedNoEndpoint,            // outgoing packet for a peer without an endpoint
  kDroppedSourceCheck,           // decrypted packet whose source the peer does not own
  kDroppedStagedOverflow,        // oldest staged packet pushed out by a newer one
  kDroppedBadInnerHeader,        // not a valid IPv4/IPv6 packet inside the tunnel (or from TUN)
  kDroppedSendFailed,            // the UDP socket refused the datagram (or none is bound)
  kDroppedOverPathMtu,           // datagram beyond the path MTU: never fragmented (routing loops)
  kDroppedTunWriteFailed,        // the TUN device refused a decrypted packet
  kDroppedHandshakeBacklog,      // handshake message while the control plane has too many queued
  kDroppedHandshakeRateLimited,  // handshake message over its source's rate while under load
  kDroppedByKernel,              // not a WireGuard message (socket filter) or a full socket buffer
                                 // (since the sockets were bound; read from the kernel)
  kDroppedBadFrame,              // TAP frame too short, or a malformed ARP/NDP message
  kDroppedUnknownMac,            // TAP frame to a unicast MAC that stands for no peer
  kDroppedMulticast,             // TAP frame to broadcast/multicast beyond link-local groups
  kDroppedSourcePending,         // `route` source check: too many packets awaiting a verdict
  kDroppedBadOffload,            // TUN/TAP super-packet whose virtio_net_hdr disagrees with it
  kNeighbourReplies,             // ARP/NDP requests answered with a peer's MAC
  kNeighbourUnanswered,          // ARP/NDP requests for an address no peer owns
  kSourceLookups,                // `route` source check: verdicts asked of the control plane
  kUnreachableSent,              // ICMP/ICMPv6 destination unreachable written to the device
  kUnreachableRateLimited,       // unreachable answers withheld by the rate limit
  kUnreachableSentFromHost,      // unreachable answers to a NATed packet, sent by the host stack
  kUnreachableHostSendFailed,    // those the host stack refused (no route to the source...)
  kDataPacketsSent,              // data messages sent, keepalives included
  kDataPacketsReceived,          // authenticated data messages, keepalives included
  kHandshakeMessagesReceived,    // handshake messages past the mac1 check, and cookie replies
  kCount,
};

constexpr std::array<const char*, static_cast<size_t>(Counter::kCount)> kCounterNames = {
    "droppedGarbage",        "droppedUnknownType",     "droppedBadMac1",
    "droppedUnknownReceiverIndex", "droppedAuthFailed", "droppedReplayed",
    "droppedExpiredKey",     "droppedNoRouteToPeer",   "droppedNoEndpoint",
    "droppedSourceCheck",    "droppedStagedOverflow",  "droppedBadInnerHeader",
    "droppedSendFailed",     "droppedOverPathMtu",     "droppedTunWriteFailed",  "droppedHandshakeBacklog",
    "droppedHandshakeRateLimited", "droppedByKernel",
    "droppedBadFrame",       "droppedUnknownMac",      "droppedMulticast",
    "droppedSourcePending",  "droppedBadOffload",     "neighbourReplies",       "neighbourUnanswered",
    "sourceLookups",         "unreachableSent",        "unreachableRateLimited",
    "unreachableSentFromHost", "unreachableHostSendFailed",
    "dataPacketsSent",
    "dataPacketsReceived",   "handshakeMessagesReceived",
};

class Counters {
 public:
  void Add(Counter c, uint64_t n = 1) {
    values_[static_cast<size_t>(c)].fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t Get(Counter c) const {
    return values_[static_cast<size_t>(c)].load(std::memory_order_relaxed);
  }

 private:
  std::array<std::atomic<uint64_t>, static_cast<size_t>(Counter::kCount)> values_{};
};

}  // namespace viaguard
