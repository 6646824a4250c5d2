#include "source_route_check.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <optional>
#include <system_error>
#include <vector>

namespace viaguard {
namespace {

void PutAttribute(std::vector<uint8_t>& message, uint16_t type, const void* data, size_t length) {
  rtattr attribute{};
  attribute.rta_len = static_cast<uint16_t>(RTA_LENGTH(length));
  attribute.rta_type = type;
  const size_t at = message.size();
  message.resize(at + RTA_SPACE(length));
  std::memcpy(message.data() + at, &attribute, sizeof(attribute));
  std::memcpy(message.data() + at + RTA_LENGTH(0), data, length);
}

}  // namespace

void SourceRouteCheck::Open() {
  std::lock_guard lock(mu_);
  changes_.Open({RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,
                 RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE},
                "");
  queries_.Open({}, "");
}

void SourceRouteCheck::Close() {
  std::lock_guard lock(mu_);
  changes_.Close();
  queries_.Close();
}

uint64_t SourceRouteCheck::Generation() {
  std::lock_guard lock(mu_);
  if (!changes_.isOpen()) return generation_;
  bool changed = false;
  try {
    for (;;) {
      RtnlSocket::Batch batch = changes_.Receive(64);
      changed = changed || !batch.datagrams.empty() || batch.overflowed;
      if (batch.drained || batch.datagrams.empty()) break;
    }
  } catch (const std::system_error&) {
    changed = true;  // cannot tell what happened: check again
  }
  if (changed) ++generation_;
  return generation_;
}

bool SourceRouteCheck::StillRouted(const Endpoint& e, uint32_t mark) {
  std::lock_guard lock(mu_);
  if (!queries_.isOpen() || !e.hasLocal) return true;
  const bool v6 = e.IsV6();
  if (v6 && IN6_IS_ADDR_LINKLOCAL(&e.addr.v6.sin6_addr)) return true;  // scoped: left to the send path
  const size_t bytes = v6 ? 16 : 4;
  std::vector<uint8_t> message(NLMSG_LENGTH(sizeof(rtmsg)));
  nlmsghdr header{};
  header.nlmsg_type = RTM_GETROUTE;
  header.nlmsg_flags = NLM_F_REQUEST;
  header.nlmsg_seq = ++sequence_;
  rtmsg route{};
  route.rtm_family = static_cast<uint8_t>(v6 ? AF_INET6 : AF_INET);
  route.rtm_dst_len = static_cast<uint8_t>(bytes * 8);
  route.rtm_src_len = static_cast<uint8_t>(bytes * 8);
  std::memcpy(message.data() + NLMSG_LENGTH(0), &route, sizeof(route));
  PutAttribute(message, RTA_DST, v6 ? static_cast<const void*>(&e.addr.v6.sin6_addr) : &e.addr.v4.sin_addr, bytes);
  PutAttribute(message, RTA_SRC, v6 ? static_cast<const void*>(&e.local.v6) : &e.local.v4, bytes);
  if (mark != 0) PutAttribute(message, RTA_MARK, &mark, sizeof(mark));
  header.nlmsg_len = static_cast<uint32_t>(message.size());
  std::memcpy(message.data(), &header, sizeof(header));
  try {
    return queries_.Ask(message, [&](const nlmsghdr& reply) -> std::optional<bool> {
      if (reply.nlmsg_type == NLMSG_ERROR) {
        const auto* error = static_cast<const nlmsgerr*>(NLMSG_DATA(&reply));
        return error->error == 0;
      }
      if (reply.nlmsg_type != RTM_NEWROUTE) return std::nullopt;
      if (e.localIfindex == 0) return true;
      const auto* found = static_cast<const rtmsg*>(NLMSG_DATA(&reply));
      int attributesLeft = static_cast<int>(RTM_PAYLOAD(&reply));
      for (const rtattr* a = RTM_RTA(found); RTA_OK(a, attributesLeft); a = RTA_NEXT(a, attributesLeft)) {
        if (a->rta_type != RTA_OIF || RTA_PAYLOAD(a) < sizeof(uint32_t)) continue;
        uint32_t oif;
        std::memcpy(&oif, RTA_DATA(a), sizeof(oif));
        return oif == e.localIfindex;
      }
      return true;
    }).value_or(true);
  } catch (const std::system_error&) {
    return true;
  }
}

}  // namespace viaguard
