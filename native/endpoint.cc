#include "endpoint.h"

#include <arpa/inet.h>
#include <net/if.h>

#include <cstring>

namespace viaguard {

uint16_t Endpoint::Port() const { return ntohs(IsV6() ? addr.v6.sin6_port : addr.v4.sin_port); }

std::string Endpoint::AddressText() const {
  char text[INET6_ADDRSTRLEN + IF_NAMESIZE + 1] = {};
  if (IsV6()) {
    inet_ntop(AF_INET6, &addr.v6.sin6_addr, text, sizeof text);
    std::string out(text);
    if (addr.v6.sin6_scope_id != 0) out += "%" + std::to_string(addr.v6.sin6_scope_id);
    return out;
  }
  inet_ntop(AF_INET, &addr.v4.sin_addr, text, sizeof text);
  return text;
}

bool Endpoint::Parse(const std::string& address, uint16_t port, Endpoint* out) {
  Endpoint ep;
  if (inet_pton(AF_INET, address.c_str(), &ep.addr.v4.sin_addr) == 1) {
    ep.addr.v4.sin_family = AF_INET;
    ep.addr.v4.sin_port = htons(port);
    *out = ep;
    return true;
  }
  std::string host = address;
  uint32_t scope = 0;
  size_t percent = address.find('%');
  if (percent != std::string::npos) {
    host = address.substr(0, percent);
    std::string zone = address.substr(percent + 1);
    if (zone.empty()) return false;
    char* end = nullptr;
    unsigned long numeric = strtoul(zone.c_str(), &end, 10);
    scope = *end == '\0' ? static_cast<uint32_t>(numeric) : if_nametoindex(zone.c_str());
    if (scope == 0) return false;
  }
  if (inet_pton(AF_INET6, host.c_str(), &ep.addr.v6.sin6_addr) != 1) return false;
  ep.addr.v6.sin6_family = AF_INET6;
  ep.addr.v6.sin6_port = htons(port);
  ep.addr.v6.sin6_scope_id = scope;
  *out = ep;
  return true;
}

bool Endpoint::FromSockaddr(const sockaddr* sa, socklen_t len, Endpoint* out) {
  if (sa->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    *out = Endpoint{};
    std::memcpy(&out->addr.v4, sa, sizeof(sockaddr_in));
    return true;
  }
  if (sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    *out = Endpoint{};
    std::memcpy(&out->addr.v6, sa, sizeof(sockaddr_in6));
    out->addr.v6.sin6_flowinfo = 0;
    return true;
  }
  return false;
}

std::string Endpoint::LocalText() const {
  if (!hasLocal) return "";
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(IsV6() ? AF_INET6 : AF_INET, IsV6() ? static_cast<const void*>(&local.v6)
                                                : static_cast<const void*>(&local.v4),
            text, sizeof text);
  return text;
}

bool Endpoint::SetLocal(const std::string& address) {
  if (inet_pton(IsV6() ? AF_INET6 : AF_INET, address.c_str(), &local) != 1) return false;
  hasLocal = true;
  localIfindex = 0;
  return true;
}

bool Endpoint::SameLocal(const Endpoint& other) const {
  if (hasLocal != other.hasLocal) return false;
  if (!hasLocal) return true;
  return localIfindex == other.localIfindex &&
         std::memcmp(&local, &other.local, IsV6() ? sizeof local.v6 : sizeof local.v4) == 0;
}

bool Endpoint::operator==(const Endpoint& other) const {
  if (addr.sa.sa_family != other.addr.sa.sa_family) return false;
  if (addr.sa.sa_family == AF_INET) {
    return addr.v4.sin_port == other.addr.v4.sin_port &&
           addr.v4.sin_addr.s_addr == other.addr.v4.sin_addr.s_addr;
  }
  if (addr.sa.sa_family == AF_INET6) {
    return addr.v6.sin6_port == other.addr.v6.sin6_port &&
           addr.v6.sin6_scope_id == other.addr.v6.sin6_scope_id &&
           std::memcmp(&addr.v6.sin6_addr, &other.addr.v6.sin6_addr, 16) == 0;
  }
  return true;
}

}  // namespace viaguard
