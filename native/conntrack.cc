#include "conntrack.h"

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cstring>
#include <optional>
#include <system_error>
#include <vector>

#include "inet_checksum.h"
#include "ip_packet.h"

namespace viaguard {
namespace {

constexpr uint8_t kIcmp = 1, kTcp = 6, kUdp = 17, kDccp = 33, kIcmpv6 = 58, kSctp = 132,
                  kUdpLite = 136;

bool HasPorts(uint8_t protocol) {
  return protocol == kTcp || protocol == kUdp || protocol == kDccp || protocol == kSctp ||
         protocol == kUdpLite;
}

// The type of the reply to an ICMP query (or of the query to a reply), as conntrack inverts
// them; -1 for types it keeps no flows of.
int InvertedIcmpType(Family family, uint8_t type) {
  static constexpr uint8_t kV4Pairs[][2] = {{8, 0}, {13, 14}, {15, 16}, {17, 18}};  // echo, timestamp, info, mask
  static constexpr uint8_t kV6Pairs[][2] = {{128, 129}, {139, 140}};               // echo, node information
  if (family == Family::kIpv4) {
    for (const auto& pair : kV4Pairs) {
      if (type == pair[0]) return pair[1];
      if (type == pair[1]) return pair[0];
    }
  } else {
    for (const auto& pair : kV6Pairs) {
      if (type == pair[0]) return pair[1];
      if (type == pair[1]) return pair[0];
    }
  }
  return -1;
}

// Netlink attributes, appended to a message under construction.
class AttributeWriter {
 public:
  explicit AttributeWriter(std::vector<uint8_t>& message) : message_(message) {}
  void Put(uint16_t type, const void* data, size_t length) {
    size_t at = Begin(type);
    message_.resize(at + NLA_HDRLEN + NLA_ALIGN(length));
    std::memcpy(message_.data() + at + NLA_HDRLEN, data, length);
    End(at, NLA_HDRLEN + length);
  }
  void PutU8(uint16_t type, uint8_t value) { Put(type, &value, 1); }
  void PutBe16(uint16_t type, uint16_t value) {
    uint8_t bytes[2];
    StoreBe16(bytes, value);
    Put(type, bytes, 2);
  }
  // Opens a nested attribute; Close(at) ends it.
  size_t Open(uint16_t type) { return Begin(static_cast<uint16_t>(type | NLA_F_NESTED)); }
  void Close(size_t at) { End(at, message_.size() - at); }

 private:
  size_t Begin(uint16_t type) {
    size_t at = message_.size();
    message_.resize(at + NLA_HDRLEN);
    nlattr header{0, type};
    std::memcpy(message_.data() + at, &header, sizeof header);
    return at;
  }
  void End(size_t at, size_t length) {
    uint16_t value = static_cast<uint16_t>(length);
    std::memcpy(message_.data() + at + offsetof(nlattr, nla_len), &value, sizeof value);
  }
  std::vector<uint8_t>& message_;
};

void PutTuple(AttributeWriter& out, uint16_t type, const ConntrackTuple& t) {
  const bool v4 = t.family == Family::kIpv4;
  size_t tuple = out.Open(type);
  size_t ip = out.Open(CTA_TUPLE_IP);
  out.Put(v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, t.source, v4 ? 4 : 16);
  out.Put(v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, t.destination, v4 ? 4 : 16);
  out.Close(ip);
  size_t proto = out.Open(CTA_TUPLE_PROTO);
  out.PutU8(CTA_PROTO_NUM, t.protocol);
  if (HasPorts(t.protocol)) {
    out.PutBe16(CTA_PROTO_SRC_PORT, t.sourcePort);
    out.PutBe16(CTA_PROTO_DST_PORT, t.destinationPort);
  } else if (t.protocol == kIcmp) {
    out.PutBe16(CTA_PROTO_ICMP_ID, t.icmpId);
    out.PutU8(CTA_PROTO_ICMP_TYPE, t.icmpType);
    out.PutU8(CTA_PROTO_ICMP_CODE, t.icmpCode);
  } else if (t.protocol == kIcmpv6) {
    out.PutBe16(CTA_PROTO_ICMPV6_ID, t.icmpId);
    out.PutU8(CTA_PROTO_ICMPV6_TYPE, t.icmpType);
    out.PutU8(CTA_PROTO_ICMPV6_CODE, t.icmpCode);
  }
  out.Close(proto);
  out.Close(tuple);
}

// Calls visit(type, payload, length) for each attribute in [data, data + length).
template <typename Visit>
void ForEachAttribute(const uint8_t* data, size_t length, Visit visit) {
  while (length >= NLA_HDRLEN) {
    nlattr header;
    std::memcpy(&header, data, sizeof header);
    if (header.nla_len < NLA_HDRLEN || header.nla_len > length) return;
    visit(static_cast<uint16_t>(header.nla_type & NLA_TYPE_MASK), data + NLA_HDRLEN,
          static_cast<size_t>(header.nla_len - NLA_HDRLEN));
    size_t step = NLA_ALIGN(header.nla_len);
    if (step >= length) return;
    data += step;
    length -= step;
  }
}

ConntrackTuple ParseTuple(Family family, const uint8_t* data, size_t length) {
  ConntrackTuple t;
  t.family = family;
  const size_t bytes = family == Family::kIpv4 ? 4 : 16;
  ForEachAttribute(data, length, [&](uint16_t type, const uint8_t* payload, size_t size) {
    if (type == CTA_TUPLE_IP) {
      ForEachAttribute(payload, size, [&](uint16_t ipType, const uint8_t* address, size_t n) {
        if (n != bytes) return;
        if (ipType == CTA_IP_V4_SRC || ipType == CTA_IP_V6_SRC) std::memcpy(t.source, address, n);
        if (ipType == CTA_IP_V4_DST || ipType == CTA_IP_V6_DST) std::memcpy(t.destination, address, n);
      });
    } else if (type == CTA_TUPLE_PROTO) {
      ForEachAttribute(payload, size, [&](uint16_t protoType, const uint8_t* value, size_t n) {
        if (n == 1 && protoType == CTA_PROTO_NUM) t.protocol = value[0];
        if (n == 2 && protoType == CTA_PROTO_SRC_PORT) t.sourcePort = LoadBe16(value);
        if (n == 2 && protoType == CTA_PROTO_DST_PORT) t.destinationPort = LoadBe16(value);
        if (n == 2 && (protoType == CTA_PROTO_ICMP_ID || protoType == CTA_PROTO_ICMPV6_ID)) t.icmpId = LoadBe16(value);
        if (n == 1 && (protoType == CTA_PROTO_ICMP_TYPE || protoType == CTA_PROTO_ICMPV6_TYPE)) t.icmpType = value[0];
        if (n == 1 && (protoType == CTA_PROTO_ICMP_CODE || protoType == CTA_PROTO_ICMPV6_CODE)) t.icmpCode = value[0];
      });
    }
  });
  return t;
}

}  // namespace

bool ConntrackTuple::operator==(const ConntrackTuple& o) const {
  return family == o.family && std::memcmp(source, o.source, sizeof source) == 0 &&
         std::memcmp(destination, o.destination, sizeof destination) == 0 &&
         protocol == o.protocol && sourcePort == o.sourcePort &&
         destinationPort == o.destinationPort && icmpId == o.icmpId && icmpType == o.icmpType &&
         icmpCode == o.icmpCode;
}

bool ReplyTupleOf(const uint8_t* packet, size_t length, ConntrackTuple* out) {
  if (length < 1) return false;
  ConntrackTuple t;
  size_t transport;
  if (packet[0] >> 4 == 4) {
    if (length < 20) return false;
    transport = static_cast<size_t>(packet[0] & 0x0f) * 4;
    if (transport < 20 || (LoadBe16(packet + 6) & 0x1fff) != 0) return false;
    t.family = Family::kIpv4;
    t.protocol = packet[9];
    std::memcpy(t.source, packet + 16, 4);
    std::memcpy(t.destination, packet + 12, 4);
  } else if (packet[0] >> 4 == 6) {
    if (length < 40) return false;
    Ipv6UpperLayer upper = FindIpv6UpperLayer(packet, length);
    if (!upper.complete || upper.laterFragment) return false;
    transport = upper.offset;
    t.family = Family::kIpv6;
    t.protocol = upper.protocol;
    std::memcpy(t.source, packet + 24, 16);
    std::memcpy(t.destination, packet + 8, 16);
  } else {
    return false;
  }
  if (HasPorts(t.protocol)) {
    if (length < transport + 4) return false;
    const uint8_t* l4 = packet + transport;
    t.sourcePort = LoadBe16(l4 + 2);
    t.destinationPort = LoadBe16(l4);
  } else if (t.protocol == (t.family == Family::kIpv4 ? kIcmp : kIcmpv6)) {
    if (length < transport + 6) return false;
    const uint8_t* l4 = packet + transport;
    int replyType = InvertedIcmpType(t.family, l4[0]);
    if (replyType < 0) return false;
    t.icmpType = static_cast<uint8_t>(replyType);
    t.icmpCode = l4[1];
    t.icmpId = LoadBe16(l4 + 4);
  }
  *out = t;
  return true;
}

void Conntrack::Open(const std::string& netnsPath) {
  socket_.Open({}, netnsPath, NETLINK_NETFILTER);
}

bool Conntrack::SourceBeforeNat(const ConntrackTuple& reply, uint8_t* sourceBeforeNat) {
  if (!socket_.isOpen()) return false;
  const uint8_t family = reply.family == Family::kIpv4 ? AF_INET : AF_INET6;
  std::vector<uint8_t> message(NLMSG_LENGTH(sizeof(nfgenmsg)));
  nlmsghdr header{};
  header.nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_GET;
  header.nlmsg_flags = NLM_F_REQUEST;
  header.nlmsg_seq = ++sequence_;
  nfgenmsg generic{family, NFNETLINK_V0, 0};
  std::memcpy(message.data() + NLMSG_LENGTH(0), &generic, sizeof generic);
  AttributeWriter attributes(message);
  PutTuple(attributes, CTA_TUPLE_REPLY, reply);
  header.nlmsg_len = static_cast<uint32_t>(message.size());
  std::memcpy(message.data(), &header, sizeof header);
  try {
    return socket_.Ask(message, [&](const nlmsghdr& answer) -> std::optional<bool> {
      if (answer.nlmsg_type == NLMSG_ERROR) return false;  // ENOENT: no entry
      if (answer.nlmsg_type != (NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW)) return std::nullopt;
      if (answer.nlmsg_len < NLMSG_LENGTH(sizeof(nfgenmsg))) return false;
      ConntrackTuple original, replyTuple;
      uint32_t status = 0;
      ForEachAttribute(static_cast<const uint8_t*>(NLMSG_DATA(&answer)) + NLMSG_ALIGN(sizeof(nfgenmsg)),
                       answer.nlmsg_len - NLMSG_LENGTH(sizeof(nfgenmsg)),
                       [&](uint16_t type, const uint8_t* payload, size_t size) {
                         if (type == CTA_TUPLE_ORIG) original = ParseTuple(reply.family, payload, size);
                         if (type == CTA_TUPLE_REPLY) replyTuple = ParseTuple(reply.family, payload, size);
                         if (type == CTA_STATUS && size == 4) status = LoadBe32(payload);
                       });
      if ((status & IPS_NAT_MASK) == 0) return false;
      // The tuple the packet's replies match tells its direction; the other one is the
      // packet as it came in.
      const ConntrackTuple* arrived = replyTuple == reply ? &original
                                      : original == reply ? &replyTuple
                                                          : nullptr;
      if (arrived == nullptr || std::memcmp(arrived->source, reply.destination, 16) == 0) return false;
      std::memcpy(sourceBeforeNat, arrived->source, reply.family == Family::kIpv4 ? 4 : 16);
      return true;
    }).value_or(false);
  } catch (const std::system_error&) {
    return false;
  }
}

}  // namespace viaguard
