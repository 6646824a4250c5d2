// Joining decrypted packets on their way to a TUN/TAP device with offloads: consecutive TCP
// segments of one flow (same addresses and ports, ACK, window, options and IP header fields,
// each exactly continuing the sequence of the one before) — and, where the device accepts
// USO, equal-sized UDP datagrams of one flow — become one super-packet written with a
// virtio_net_hdr describing the GSO, so the kernel's stack handles one packet instead of
// dozens. Anything else (a SYN/FIN/RST, an overlap, a gap, a bad checksum, IP options) passes
// through unchanged and ends its flow's merge, so no flow is reordered. Pure: the writes go to
// a sink the owner provides.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "allowedips.h"
#include "virtio_net_header.h"

namespace viaguard {

class PacketSink {
 public:
  virtual ~PacketSink() = default;
  virtual void WritePacket(const VirtioNetHeader& header, const uint8_t* packet, size_t length) = 0;
};

class GroCoalescer {
 public:
  // linkLength: bytes before the IP header (0 on TUN, 14 on TAP; frames of one flow must carry
  // the same link header). tcp/udp: which protocols may be joined (the device's TSO / USO).
  GroCoalescer(size_t linkLength, bool tcp, bool udp, PacketSink* sink);
  GroCoalescer(const GroCoalescer&) = delete;
  GroCoalescer& operator=(const GroCoalescer&) = delete;

  // Takes one packet (link header + a whole IP packet). Its bytes must stay valid and unchanged
  // until the next Flush.
  void Add(const uint8_t* packet, size_t length);
  // Writes everything taken since the last Flush, in the order the flows began.
  void Flush();

  uint64_t PacketsJoined() const { return packetsJoined_; }  // packets that went into a merge

  static constexpr size_t kMaxItems = 1024;  // writes held before Flush runs by itself
  static constexpr size_t kMaxMerges = 64;   // super-packets being built at once
  static constexpr size_t kMaxUdpSegments = 64;  // the kernel's UDP_MAX_SEGMENTS

 private:
  struct Flow {
    uint8_t bytes[14 + 2 * 16 + 4 + 2];  // link header, addresses, ports, family and protocol
    bool operator==(const Flow& other) const;
  };
  struct Item {
    const uint8_t* packet;
    size_t length;
    uint8_t* merged = nullptr;  // the super-packet being built, once a second packet joined
    bool verified = false;      // the transport checksum was checked
    bool open = false;          // later packets may join it
    Family family = Family::kIpv4;
    uint8_t protocol = 0;
    size_t transportOffset = 0, headerLength = 0;
    size_t segmentPayload = 0, lastPayload = 0, segments = 1;
    uint32_t nextSequence = 0;
    size_t slot = 0;  // its entry in table_
    Flow flow;
  };
  struct Parsed;

  bool Parse(const uint8_t* packet, size_t length, Parsed* out) const;
  bool CanJoin(const Item& item, const Parsed& p) const;
  void Join(Item& item, const Parsed& p);
  size_t FindSlot(const Flow& flow) const;
  void Emit(Item& item);

  const size_t linkLength_;
  const bool tcp_, udp_;
  PacketSink* const sink_;
  std::vector<Item> items_;
  std::vector<uint32_t> table_;  // open addressing: item index + 1 of each flow's latest item
  std::vector<std::unique_ptr<uint8_t[]>> buffers_;
  size_t buffersUsed_ = 0;
  uint64_t packetsJoined_ = 0;
};

}  // namespace viaguard
