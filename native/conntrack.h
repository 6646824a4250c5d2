// What NAT did to a packet that already went through the kernel's connection tracking, asked of
// ctnetlink (NETLINK_NETFILTER, IPCTNL_MSG_CT_GET): the userspace half of the kernel's
// icmp_ndo_send, which answers a packet its device cannot carry toward the packet's source as it
// was before source NAT. The entry is found by the reply the packet expects (its addresses and
// ports swapped); the entry's other tuple is the packet as it arrived, before NAT.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "allowedips.h"
#include "netlink.h"

namespace viaguard {

// A conntrack tuple: addresses, protocol and what conntrack tells its flows apart by (ports of
// TCP, UDP, UDP-Lite, SCTP and DCCP; the id, type and code of ICMP/ICMPv6 queries).
struct ConntrackTuple {
  Family family = Family::kIpv4;
  uint8_t source[16] = {};  // IPv4 in the first 4 bytes, the rest zero
  uint8_t destination[16] = {};
  uint8_t protocol = 0;
  uint16_t sourcePort = 0, destinationPort = 0;
  uint16_t icmpId = 0;
  uint8_t icmpType = 0, icmpCode = 0;

  bool operator==(const ConntrackTuple& o) const;
};

// The tuple conntrack keeps for the replies to packet (an IP packet; a quote may be truncated
// after the transport header's first 8 bytes): addresses and ports swapped, an ICMP query's type
// turned into its reply's. False when there is none to ask for: not IPv4/IPv6, too short, a
// later fragment, an ICMP message that is no query or reply.
bool ReplyTupleOf(const uint8_t* packet, size_t length, ConntrackTuple* out);

// A NETLINK_NETFILTER socket that looks conntrack entries up, in one network namespace.
class Conntrack {
 public:
  // Opens the socket inside netnsPath (empty: the caller's namespace). Throws std::system_error.
  void Open(const std::string& netnsPath);
  void Close() { socket_.Close(); }
  bool IsOpen() const { return socket_.isOpen(); }

  // The source address, before NAT, of the packet whose replies conntrack expects as `reply`:
  // true, with the address in sourceBeforeNat (4 or 16 bytes), when the entry exists, has NAT
  // (IPS_SRC_NAT or IPS_DST_NAT) and NAT changed that source; false otherwise, and when the
  // kernel cannot be asked.
  bool SourceBeforeNat(const ConntrackTuple& reply, uint8_t* sourceBeforeNat);

 private:
  RtnlSocket socket_;
  uint32_t sequence_ = 0;
};

}  // namespace viaguard
