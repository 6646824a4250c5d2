// A UDP endpoint: an IPv4 or IPv6 socket address, compared by family, address and port.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

namespace viaguard {

struct Endpoint {
  union {
    sockaddr sa;
    sockaddr_in v4;
    sockaddr_in6 v6;
  } addr{};

  // The local address the peer reached us at (IP_PKTINFO / IPV6_PKTINFO), so that replies leave
  // from it on a host with several addresses, as the kernel's and wireguard-go's sticky
  // sockets do. Not part of equality: it follows the remote address.
  union {
    in_addr v4;
    in6_addr v6;
  } local{};
  uint32_t localIfindex = 0;
  bool hasLocal = false;

  bool IsSet() const { return addr.sa.sa_family == AF_INET || addr.sa.sa_family == AF_INET6; }
  bool IsV6() const { return addr.sa.sa_family == AF_INET6; }
  socklen_t Length() const { return IsV6() ? sizeof(sockaddr_in6) : sizeof(sockaddr_in); }
  uint16_t Port() const;
  std::string AddressText() const;

  // Parses a numeric IPv4 or IPv6 address (IPv6 may carry a %scope); false when invalid.
  static bool Parse(const std::string& address, uint16_t port, Endpoint* out);
  // Copies a socket address received from the kernel; false for other families.
  static bool FromSockaddr(const sockaddr* sa, socklen_t len, Endpoint* out);

  std::string LocalText() const;  // "" without a local address
  // Sets the local address from numeric text of the endpoint's family; false when invalid.
  bool SetLocal(const std::string& address);
  bool SameLocal(const Endpoint& other) const;

  bool operator==(const Endpoint& other) const;
  bool operator!=(const Endpoint& other) const { return !(*this == other); }
};

}  // namespace viaguard
