// WireGuard protocol constants used by the data plane, named as in the whitepaper §6 and
// the kernel's drivers/net/wireguard/messages.h. Times are in nanoseconds of CLOCK_MONOTONIC.
#pragma once
#include <cstddef>
#include <cstdint>

namespace viaguard {

constexpr uint64_t kNsPerSecond = 1000000000ULL;

constexpr uint64_t kRekeyAfterMessages = 1ULL << 60;
constexpr uint64_t kRejectAfterMessages = UINT64_MAX - (1ULL << 13);  // 2^64 - 2^13 - 1
constexpr uint64_t kRekeyAfterTime = 120 * kNsPerSecond;
constexpr uint64_t kRejectAfterTime = 180 * kNsPerSecond;
constexpr uint64_t kRekeyTimeout = 5 * kNsPerSecond;
constexpr uint64_t kKeepaliveTimeout = 10 * kNsPerSecond;
constexpr size_t kMaxStagedPackets = 128;
// Handshake messages waiting for the control plane (kernel: MAX_QUEUED_INCOMING_HANDSHAKES).
constexpr size_t kMaxQueuedHandshakes = 4096;
// From this many queued handshakes the device is "under load" (wireguard-go's threshold), and
// stays so for kUnderLoadAfterTime after: handshakes are then rate-limited per source.
constexpr size_t kHandshakeUnderLoadQueueLength = 128;
constexpr uint64_t kUnderLoadAfterTime = kNsPerSecond;

// Message types and sizes on the wire (whitepaper §5.4).
constexpr uint8_t kMessageHandshakeInitiation = 1;
constexpr uint8_t kMessageHandshakeResponse = 2;
constexpr uint8_t kMessageHandshakeCookie = 3;
constexpr uint8_t kMessageData = 4;

constexpr size_t kHandshakeInitiationSize = 148;
constexpr size_t kHandshakeResponseSize = 92;
constexpr size_t kHandshakeCookieSize = 64;
constexpr size_t kDataHeaderSize = 16;  // type(4) receiver(4) counter(8)
constexpr size_t kDataTagSize = 16;
constexpr size_t kDataMinimumSize = kDataHeaderSize + kDataTagSize;  // a keepalive
constexpr size_t kMacSize = 16;
constexpr size_t kPaddingMultiple = 16;

}  // namespace viaguard
