// Fuzz target: the Ethernet frames a TAP device (route mode) hands the data plane. Whatever
// ClassifyFrame decides must hold up: a neighbour query's pointers lie inside the frame, the
// ARP reply or Neighbour Advertisement built for it is well-formed (the NA's checksum verifies,
// and classifying the answer never yields a query to answer again), and an IP frame's packet
// parses within the frame and gets an Ethernet header for the way back.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "ethernet.h"
#include "ip_packet.h"

namespace {

using namespace viaguard;

constexpr Mac kOwnerMac = 0x02aabbccddee;

void Require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "frames_fuzz: %s\n", what);
  std::abort();
}

bool Inside(const uint8_t* p, size_t size, const uint8_t* frame, size_t length) {
  return p >= frame && p + size <= frame + length;
}

void CheckQuery(const NeighbourQuery& query, const uint8_t* frame, size_t length) {
  size_t addressSize = query.family == Family::kIpv4 ? 4 : 16;
  Require(Inside(query.target, addressSize, frame, length), "target outside the frame");
  Require(Inside(query.requesterIp, addressSize, frame, length), "requester IP outside the frame");
  Require(Inside(query.requesterMac, kMacSize6, frame, length), "requester MAC outside the frame");

  uint8_t reply[kMaxNeighbourReply];
  size_t replyLength = BuildNeighbourReply(query, kOwnerMac, reply);
  Require(replyLength <= sizeof reply, "reply longer than kMaxNeighbourReply");
  Require(MacFromBytes(reply + 6) == kOwnerMac, "reply not from the owner's MAC");
  Require(std::memcmp(reply, query.requesterMac, kMacSize6) == 0, "reply not to the requester");
  NeighbourQuery again;
  FrameKind kind = ClassifyFrame(reply, replyLength, &again);
  if (query.family == Family::kIpv4) {
    Require(kind == FrameKind::kIgnored, "an ARP reply must not ask anything");
    return;
  }
  Require(kind == FrameKind::kIp, "a Neighbour Advertisement is an IPv6 packet");
  const uint8_t* ip = reply + kEthernetHeaderSize;
  size_t icmpLength = replyLength - kEthernetHeaderSize - 40;
  Require(Icmpv6Checksum(ip + 8, ip + 24, ip + 40, icmpLength) == 0, "bad NA checksum");
  IpHeaderView header;
  Require(ParseIpHeader(ip, replyLength - kEthernetHeaderSize, &header), "NA does not parse");
  Require(header.totalLength == replyLength - kEthernetHeaderSize, "NA length field is wrong");
}

void CheckIp(const uint8_t* frame, size_t length) {
  IpHeaderView header;
  if (!ParseIpHeader(frame + kEthernetHeaderSize, length - kEthernetHeaderSize, &header)) return;
  size_t addressSize = header.family == Family::kIpv4 ? 4 : 16;
  Require(Inside(header.destination, addressSize, frame, length), "destination outside the frame");
  // The header route mode writes in front of a packet to this destination on the way back.
  uint8_t ethernet[kEthernetHeaderSize];
  WriteEthernetHeader(ethernet, header.family, header.destination, 0x020000000001, kOwnerMac);
  bool multicast = header.family == Family::kIpv4 ? (header.destination[0] & 0xf0) == 0xe0
                                                  : header.destination[0] == 0xff;
  Require(!multicast || IsGroupMac(ethernet), "multicast packet to a unicast MAC");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size copy: any read past the frame is caught.
  std::unique_ptr<uint8_t[]> frame(new uint8_t[size]);
  std::memcpy(frame.get(), data, size);
  NeighbourQuery query;
  switch (ClassifyFrame(frame.get(), size, &query)) {
    case FrameKind::kNeighbourQuery:
      CheckQuery(query, frame.get(), size);
      break;
    case FrameKind::kIp:
      CheckIp(frame.get(), size);
      break;
    case FrameKind::kIgnored:
    case FrameKind::kMalformed:
      break;
  }
  return 0;
}
