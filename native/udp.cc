#include "udp.h"

#include <linux/filter.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "socket_filters.h"

namespace viaguard {
namespace {

void SetBuffers(int fd) {
  // The *FORCE variants exceed net.core.{r,w}mem_max when we have CAP_NET_ADMIN.
  int size = UdpSockets::kBufferBytes;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
}

void ApplyFwmark(int fd, uint32_t mark) {
  if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) < 0) {
    throw std::system_error(errno, std::generic_category(), "setsockopt SO_MARK");
  }
}

// Sets don't-fragment on every datagram: the kernel refuses (EMSGSIZE) what exceeds the path
// MTU instead of fragmenting it.
bool ForbidFragments(int fd, int family) {
  if (family == AF_INET6) {
    int discover = IPV6_PMTUDISC_DO;
    int one = 1;
    return setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &discover, sizeof discover) == 0 &&
           setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &one, sizeof one) == 0;
  }
  int discover = IP_PMTUDISC_DO;
  return setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &discover, sizeof discover) == 0;
}

bool Attach(int fd, int option, std::vector<sock_filter> program) {
  sock_fprog prog{static_cast<unsigned short>(program.size()), program.data()};
  return setsockopt(fd, SOL_SOCKET, option, &prog, sizeof prog) == 0;
}

// Opens one socket bound to the wildcard address of family on *port (0 picks one and writes
// it back), in a SO_REUSEPORT group when shared. Returns the fd, or -errno.
int Listen(int family, uint16_t* port, uint32_t fwmark, bool shared) {
  int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int one = 1;
  sockaddr_in6 addr6{};
  sockaddr_in addr4{};
  sockaddr* addr;
  socklen_t len;
  if (family == AF_INET6) {
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) goto fail;
    addr6.sin6_family = AF_INET6;
    addr6.sin6_addr = in6addr_any;
    addr6.sin6_port = htons(*port);
    addr = reinterpret_cast<sockaddr*>(&addr6);
    len = sizeof addr6;
  } else {
    addr4.sin_family = AF_INET;
    addr4.sin_addr.s_addr = htonl(INADDR_ANY);
    addr4.sin_port = htons(*port);
    addr = reinterpret_cast<sockaddr*>(&addr4);
    len = sizeof addr4;
  }
  // Learn the local address of each datagram, to answer from it (sticky source).
  if (family == AF_INET6
          ? setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) < 0
          : setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) < 0) {
    goto fail;
  }
  if (fwmark != 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &fwmark, sizeof fwmark) < 0) goto fail;
  if (!ForbidFragments(fd, family)) goto fail;
  if (shared && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0) goto fail;
  // Let the kernel hand over runs of datagrams of one flow at once; optional (Linux >= 5.0).
  setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one);
  SetBuffers(fd);
  if (bind(fd, addr, len) < 0) goto fail;
  if (getsockname(fd, addr, &len) < 0) goto fail;
  *port = ntohs(family == AF_INET6 ? addr6.sin6_port : addr4.sin_port);
  return fd;
fail:
  int err = errno;
  close(fd);
  return -err;
}

uint64_t SocketDrops(int fd) {
  if (fd < 0) return 0;
  uint32_t info[SK_MEMINFO_VARS] = {};
  socklen_t length = sizeof info;
  if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, info, &length) < 0) return 0;
  return info[SK_MEMINFO_DROPS];
}

// Packet info plus UDP_SEGMENT (u16, send) or UDP_GRO (int, receive).
constexpr size_t kControlSize = CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(int));
static_assert(CMSG_SPACE(sizeof(in_pktinfo)) <= CMSG_SPACE(sizeof(in6_pktinfo)), "room for both");

}  // namespace

struct alignas(cmsghdr) UdpSockets::Control {
  char bytes[kControlSize];
};

namespace {

// Fills msg's control messages: the packet info that makes the kernel send from peer's local
// address (when known), and UDP_SEGMENT when segmentSize is not 0.
void PutControl(const Endpoint& peer, size_t segmentSize, UdpSockets::Control* control,
                msghdr* msg) {
  std::memset(control, 0, sizeof *control);
  msg->msg_control = control->bytes;
  msg->msg_controllen = sizeof control->bytes;
  size_t used = 0;
  cmsghdr* cmsg = CMSG_FIRSTHDR(msg);
  if (peer.hasLocal && peer.IsV6()) {
    cmsg->cmsg_level = IPPROTO_IPV6;
    cmsg->cmsg_type = IPV6_PKTINFO;
    cmsg->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
    in6_pktinfo info{};
    info.ipi6_addr = peer.local.v6;
    // A link-local source only means something together with its interface.
    if (IN6_IS_ADDR_LINKLOCAL(&peer.local.v6)) info.ipi6_ifindex = peer.localIfindex;
    std::memcpy(CMSG_DATA(cmsg), &info, sizeof info);
    used += CMSG_SPACE(sizeof(in6_pktinfo));
    cmsg = CMSG_NXTHDR(msg, cmsg);
  } else if (peer.hasLocal) {
    cmsg->cmsg_level = IPPROTO_IP;
    cmsg->cmsg_type = IP_PKTINFO;
    cmsg->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo info{};
    info.ipi_spec_dst = peer.local.v4;
    std::memcpy(CMSG_DATA(cmsg), &info, sizeof info);
    used += CMSG_SPACE(sizeof(in_pktinfo));
    cmsg = CMSG_NXTHDR(msg, cmsg);
  }
  if (segmentSize != 0) {
    cmsg->cmsg_level = SOL_UDP;
    cmsg->cmsg_type = UDP_SEGMENT;
    cmsg->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    uint16_t size = static_cast<uint16_t>(segmentSize);
    std::memcpy(CMSG_DATA(cmsg), &size, sizeof size);
    used += CMSG_SPACE(sizeof(uint16_t));
  }
  msg->msg_controllen = used;
  if (used == 0) msg->msg_control = nullptr;
}

// Reads a received datagram's control messages: the local address it arrived at and, when GRO
// joined several, their segment size.
void ReadControl(const msghdr& h, Datagram* d) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO && !d->peer.IsV6()) {
      in_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      d->peer.local.v4 = info.ipi_spec_dst;
      d->peer.localIfindex = static_cast<uint32_t>(info.ipi_ifindex);
      d->peer.hasLocal = true;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO && d->peer.IsV6()) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof info);
      d->peer.local.v6 = info.ipi6_addr;
      d->peer.localIfindex = info.ipi6_ifindex;
      d->peer.hasLocal = true;
    } else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
      int size;
      std::memcpy(&size, CMSG_DATA(c), sizeof size);
      if (size > 0 && static_cast<size_t>(size) < d->length) d->segmentSize = static_cast<size_t>(size);
    }
  }
}

void Refuse(Datagram& datagram, int error) {
  datagram.length = 0;
  datagram.error = error;
}

}  // namespace

void UdpSockets::FamilySockets::Close() {
  for (int fd : lanes) close(fd);
  if (stranger >= 0) close(stranger);
  lanes.clear();
  stranger = -1;
}

// Binds family's sockets on *port (0 picks one); *error is the errno when none could be. The
// group is formed only on a port that a plain socket could take a moment before, so that
// SO_REUSEPORT never lets us join another process's sockets (nor lets a later plain bind, as
// wireguard-go's, share ours).
UdpSockets::FamilySockets UdpSockets::ListenFamily(int family, uint16_t* port, uint32_t fwmark,
                                                   size_t lanes, int* error) {
  FamilySockets out;
  int probe = Listen(family, port, fwmark, false);
  if (probe < 0) {
    *error = -probe;
    return out;
  }
  close(probe);
  uint16_t bound = *port;
  for (size_t i = 0; i <= lanes; ++i) {
    int fd = Listen(family, &bound, fwmark, true);
    if (fd < 0) {
      *error = -fd;
      out.Close();
      return out;
    }
    if (i < lanes) out.lanes.push_back(fd);
    else out.stranger = fd;
  }
  // The steering program starts with no known endpoint; without it all would share by hash.
  if (!Attach(out.lanes[0], SO_ATTACH_REUSEPORT_CBPF, SteeringProgram(family, {}, static_cast<unsigned>(lanes)))) {
    close(out.stranger);
    out.stranger = -1;
  }
  for (int fd : out.lanes) Attach(fd, SO_ATTACH_FILTER, WireGuardMessageFilter());  // best effort
  if (out.stranger >= 0) Attach(out.stranger, SO_ATTACH_FILTER, WireGuardMessageFilter());
  return out;
}

uint16_t UdpSockets::Bind(uint16_t requested) {
  // Same retry policy as wireguard-go's StdNetBind.Open: with port 0 the IPv4 socket picks a
  // port, and if IPv6 cannot have that one, try again (at most 100 times).
  for (int tries = 0;; ++tries) {
    uint16_t port = requested;
    int error4 = 0;
    int error6 = 0;
    FamilySockets v4 = ListenFamily(AF_INET, &port, fwmark_, lanes_, &error4);
    if (error4 != 0 && error4 != EAFNOSUPPORT) {
      throw std::system_error(error4, std::generic_category(),
                              "bind UDP IPv4 port " + std::to_string(requested));
    }
    FamilySockets v6 = ListenFamily(AF_INET6, &port, fwmark_, lanes_, &error6);
    if (error6 == EADDRINUSE && requested == 0 && tries < 100) {
      v4.Close();
      continue;
    }
    if (error6 != 0 && error6 != EAFNOSUPPORT) {
      v4.Close();
      throw std::system_error(error6, std::generic_category(),
                              "bind UDP IPv6 port " + std::to_string(port));
    }
    if (v4.lanes.empty() && v6.lanes.empty()) {
      throw std::system_error(EAFNOSUPPORT, std::generic_category(), "no IPv4 nor IPv6 UDP");
    }
    Close();
    v4_ = std::move(v4);
    v6_ = std::move(v6);
    port_ = port;
    return port;
  }
}

void UdpSockets::Close() {
  v4_.Close();
  v6_.Close();
  port_ = 0;
}

void UdpSockets::SetFwmark(uint32_t mark) {
  for (const FamilySockets* family : {&v4_, &v6_}) {
    for (int fd : family->lanes) ApplyFwmark(fd, mark);
    ApplyFwmark(family->stranger, mark);
  }
  fwmark_ = mark;
}

void UdpSockets::SetKnownEndpoints(const std::vector<Endpoint>& endpoints) const {
  // Replacing a group's program is atomic for the kernel: no datagram goes unsteered.
  for (auto [family, sockets] : {std::pair<int, const FamilySockets*>{AF_INET, &v4_},
                                 std::pair<int, const FamilySockets*>{AF_INET6, &v6_}}) {
    if (sockets->stranger < 0) continue;
    Attach(sockets->lanes[0], SO_ATTACH_REUSEPORT_CBPF,
           SteeringProgram(family, endpoints, static_cast<unsigned>(sockets->lanes.size())));
  }
}

uint64_t UdpSockets::KernelDrops() const {
  uint64_t drops = 0;
  for (const FamilySockets* family : {&v4_, &v6_}) {
    for (int fd : family->lanes) drops += SocketDrops(fd);
    drops += SocketDrops(family->stranger);
  }
  return drops;
}

size_t UdpSockets::Send(Datagram* datagrams, size_t count, int flags) const {
  size_t sent = 0;
  size_t start = 0;
  while (start < count) {
    bool v6 = datagrams[start].peer.IsV6();
    size_t end = start + 1;
    while (end < count && end - start < kMaxBatch && datagrams[end].peer.IsV6() == v6) ++end;
    sent += SendFamily(v6 ? LaneFd6(0) : LaneFd4(0), datagrams + start, end - start, flags,
                       gso_.load(std::memory_order_relaxed));
    start = end;
  }
  return sent;
}

size_t UdpSockets::SendFamily(int fd, Datagram* datagrams, size_t count, int flags,
                              bool gso) const {
  if (fd < 0) {
    for (size_t i = 0; i < count; ++i) Refuse(datagrams[i], EAFNOSUPPORT);
    return 0;
  }
  mmsghdr headers[kMaxBatch];
  iovec iovs[kMaxBatch];
  Control controls[kMaxBatch];
  size_t first[kMaxBatch];     // the first datagram of each message
  size_t segments[kMaxBatch];  // how many datagrams each message carries
  size_t messages = 0;
  for (size_t i = 0; i < count;) {
    // With UDP GSO, a run of datagrams to one destination, all of the first one's size but
    // the last (which may be shorter), leaves as one message the kernel splits (UDP_SEGMENT).
    size_t end = i + 1;
    size_t bytes = datagrams[i].length;
    while (gso && end < count && end - i < kMaxSegments &&
           datagrams[end - 1].length == datagrams[i].length &&
           datagrams[end].length <= datagrams[i].length &&
           bytes + datagrams[end].length <= kMaxSegmentedBytes &&
           datagrams[end].peer == datagrams[i].peer &&
           datagrams[end].peer.SameLocal(datagrams[i].peer)) {
      bytes += datagrams[end].length;
      ++end;
    }
    for (size_t j = i; j < end; ++j) iovs[j] = {datagrams[j].data, datagrams[j].length};
    mmsghdr& h = headers[messages];
    h = {};
    h.msg_hdr.msg_name = const_cast<sockaddr*>(&datagrams[i].peer.addr.sa);
    h.msg_hdr.msg_namelen = datagrams[i].peer.Length();
    h.msg_hdr.msg_iov = &iovs[i];
    h.msg_hdr.msg_iovlen = end - i;
    PutControl(datagrams[i].peer, end - i > 1 ? datagrams[i].length : 0, &controls[messages],
               &h.msg_hdr);
    first[messages] = i;
    segments[messages] = end - i;
    ++messages;
    i = end;
  }

  size_t sent = 0;
  size_t done = 0;
  while (done < messages) {
    int n = sendmmsg(fd, headers + done, static_cast<unsigned>(messages - done), flags);
    if (n > 0) {
      for (size_t m = done; m < done + static_cast<size_t>(n); ++m) sent += segments[m];
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    Datagram* run = datagrams + first[done];
    if (run->peer.hasLocal && (errno == EINVAL || errno == EADDRNOTAVAIL || errno == ENETUNREACH)) {
      // The local address is no longer ours (or cannot reach the peer): send from the default
      // one, as the kernel's send4/send6 do, and let the caller forget it.
      for (size_t j = 0; j < segments[done]; ++j) {
        run[j].peer.hasLocal = false;
        run[j].localRefused = true;
      }
      PutControl(run->peer, segments[done] > 1 ? run->length : 0, &controls[done],
                 &headers[done].msg_hdr);
      continue;
    }
    if (segments[done] > 1 && (errno == EIO || errno == EINVAL)) {
      // Either this path cannot segment (wireguard-go meets the same with some drivers) or
      // the segments exceed the path MTU. Send the run one datagram per message: if any goes
      // out, segmentation was the trouble, and GSO stays off from now on.
      size_t alone = SendFamily(fd, run, segments[done], flags, false);
      if (alone > 0) gso_.store(false, std::memory_order_relaxed);
      sent += alone;
      ++done;
      continue;
    }
    int error = errno;
    for (size_t j = 0; j < segments[done]; ++j) Refuse(run[j], error);  // e.g. unreachable: skip
    ++done;
  }
  for (size_t m = done; m < messages; ++m) {
    for (size_t j = 0; j < segments[m]; ++j) Refuse(datagrams[first[m] + j], EAGAIN);
  }
  return sent;
}

size_t UdpSockets::Receive(int fd, Datagram* datagrams, size_t count) const {
  if (count > kMaxBatch) count = kMaxBatch;
  mmsghdr headers[kMaxBatch];
  iovec iovs[kMaxBatch];
  sockaddr_in6 sources[kMaxBatch];
  Control controls[kMaxBatch];
  for (size_t i = 0; i < count; ++i) {
    iovs[i] = {datagrams[i].data, datagrams[i].capacity};
    headers[i] = {};
    headers[i].msg_hdr.msg_name = &sources[i];
    headers[i].msg_hdr.msg_namelen = sizeof sources[i];
    headers[i].msg_hdr.msg_iov = &iovs[i];
    headers[i].msg_hdr.msg_iovlen = 1;
    headers[i].msg_hdr.msg_control = controls[i].bytes;
    headers[i].msg_hdr.msg_controllen = sizeof controls[i].bytes;
  }
  int n;
  do {
    n = recvmmsg(fd, headers, static_cast<unsigned>(count), MSG_DONTWAIT, nullptr);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return 0;
  size_t kept = 0;
  for (int i = 0; i < n; ++i) {
    const msghdr& h = headers[i].msg_hdr;
    if (h.msg_flags & MSG_TRUNC) continue;  // larger than any WireGuard message we accept
    Datagram& d = datagrams[kept];
    if (!Endpoint::FromSockaddr(reinterpret_cast<sockaddr*>(&sources[i]), h.msg_namelen,
                                &d.peer)) {
      continue;
    }
    d.length = headers[i].msg_len;
    d.segmentSize = 0;
    ReadControl(h, &d);
    if (static_cast<size_t>(i) != kept) {
      // Compact: the bytes of datagram i live in slot i's buffer; swap the buffer pointers.
      std::swap(datagrams[kept].data, datagrams[i].data);
      std::swap(datagrams[kept].capacity, datagrams[i].capacity);
    }
    ++kept;
  }
  return kept;
}

}  // namespace viaguard
