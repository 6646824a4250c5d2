#include "netlink.h"

#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "netns.h"

namespace viaguard {

namespace {

// 4 MiB: a full IPv4 table dump or a burst of route changes from a routing daemon fits.
constexpr int kReceiveBufferBytes = 4 << 20;
constexpr size_t kInitialBuffer = 64 * 1024;

[[noreturn]] void ThrowErrno(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

int SetIntOption(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof(value));
}

}  // namespace

RtnlSocket::~RtnlSocket() { Close(); }

static_assert(RtnlSocket::kNetlinkRoute == NETLINK_ROUTE);

void RtnlSocket::Open(const std::vector<uint32_t>& groups, const std::string& netnsPath,
                      int protocol) {
  if (fd_ >= 0) ThrowErrno(EISCONN, "netlink socket already open");
  int fd = RunInNetns(netnsPath, [protocol] {
    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    return s < 0 ? -errno : s;
  });
  if (fd < 0) ThrowErrno(-fd, "socket(AF_NETLINK, protocol " + std::to_string(protocol) + ")");

  auto fail = [fd](const std::string& what) {
    int err = errno;
    close(fd);
    ThrowErrno(err, what);
  };
  // SO_RCVBUFFORCE passes rmem_max when privileged; fall back to the capped SO_RCVBUF.
  if (SetIntOption(fd, SOL_SOCKET, SO_RCVBUFFORCE, kReceiveBufferBytes) != 0 &&
      SetIntOption(fd, SOL_SOCKET, SO_RCVBUF, kReceiveBufferBytes) != 0) {
    fail("setsockopt(SO_RCVBUF)");
  }
  if (SetIntOption(fd, SOL_SOCKET, SO_SNDBUF, 1 << 20) != 0) fail("setsockopt(SO_SNDBUF)");
  // Errors carry the kernel's explanation (NLMSGERR_ATTR_MSG) and only the failed request's
  // header instead of a copy of the whole request.
  if (SetIntOption(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1) != 0) fail("setsockopt(NETLINK_EXT_ACK)");
  if (SetIntOption(fd, SOL_NETLINK, NETLINK_CAP_ACK, 1) != 0) fail("setsockopt(NETLINK_CAP_ACK)");
  // Strict checking makes the kernel honour the filters in dump requests (route table, device);
  // kernels before 4.20 lack it and callers filter the full dump themselves, so failure is fine.
  SetIntOption(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1);

  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) fail("bind(netlink)");
  // NETLINK_ADD_MEMBERSHIP takes group numbers, so groups above 32 work too.
  for (uint32_t group : groups) {
    if (SetIntOption(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, static_cast<int>(group)) != 0) {
      fail("join netlink multicast group " + std::to_string(group));
    }
  }
  socklen_t len = sizeof(local);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0) fail("getsockname(netlink)");
  portId_ = local.nl_pid;
  buffer_.resize(kInitialBuffer);
  fd_ = fd;
}

void RtnlSocket::Send(const uint8_t* data, size_t length) {
  if (fd_ < 0) ThrowErrno(EBADF, "netlink socket is closed");
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  for (;;) {
    ssize_t n = sendto(fd_, data, length, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof(kernel));
    if (n >= 0) return;
    if (errno != EINTR) ThrowErrno(errno, "send(netlink)");
  }
}

RtnlSocket::Batch RtnlSocket::Receive(size_t maxDatagrams) {
  if (fd_ < 0) ThrowErrno(EBADF, "netlink socket is closed");
  Batch batch;
  while (batch.datagrams.size() < maxDatagrams) {
    // Peek at the size first: one rtnetlink message may exceed any fixed buffer.
    ssize_t size = recv(fd_, buffer_.data(), 0, MSG_PEEK | MSG_TRUNC);
    if (size >= 0 && static_cast<size_t>(size) > buffer_.size()) buffer_.resize(size);
    if (size >= 0) size = recv(fd_, buffer_.data(), buffer_.size(), 0);
    if (size < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        batch.overflowed = true;
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        batch.drained = true;
        break;
      }
      ThrowErrno(errno, "recv(netlink)");
    }
    batch.datagrams.emplace_back(buffer_.begin(), buffer_.begin() + size);
  }
  return batch;
}

std::optional<bool> RtnlSocket::Ask(
    const std::vector<uint8_t>& request,
    const std::function<std::optional<bool>(const nlmsghdr&)>& answer) {
  nlmsghdr header;
  if (request.size() < sizeof header) ThrowErrno(EINVAL, "netlink request shorter than its header");
  std::memcpy(&header, request.data(), sizeof header);
  Send(request.data(), request.size());
  for (;;) {
    pollfd ready{fd_, POLLIN, 0};
    if (poll(&ready, 1, kAnswerTimeoutMs) <= 0) return std::nullopt;
    for (const std::vector<uint8_t>& datagram : Receive(8).datagrams) {
      const auto* message = reinterpret_cast<const nlmsghdr*>(datagram.data());
      size_t left = datagram.size();
      for (; NLMSG_OK(message, left); message = NLMSG_NEXT(message, left)) {
        if (message->nlmsg_seq != header.nlmsg_seq) continue;
        if (std::optional<bool> verdict = answer(*message)) return verdict;
      }
    }
  }
}

void RtnlSocket::Close() {
  if (fd_ < 0) return;
  close(fd_);
  fd_ = -1;
  portId_ = 0;
}

}  // namespace viaguard
