#include "unreachable_sender.h"

#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <system_error>

#include "netns.h"

namespace viaguard {
namespace {

// Room for the rate limit's burst and more: the thread is far faster than the budget refills.
constexpr size_t kQueueDepth = 64;
// How long the sockets (and so the device's namespace) are kept after the last answer.
constexpr std::chrono::milliseconds kSocketLinger{500};

// Raw sockets that only send: every ICMP type blocked from their receive queue, or each would
// get a copy of all ICMP traffic of the namespace. -1 when one cannot be had.
int OpenSendOnlyRaw(int family) {
  int s = socket(family, SOCK_RAW | SOCK_CLOEXEC, family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
  if (s < 0) return -1;
  int rc;
  if (family == AF_INET) {
    icmp_filter none{~0u};
    rc = setsockopt(s, SOL_RAW, ICMP_FILTER, &none, sizeof none);
  } else {
    icmp6_filter none;
    ICMP6_FILTER_SETBLOCKALL(&none);
    rc = setsockopt(s, IPPROTO_ICMPV6, ICMP6_FILTER, &none, sizeof none);
  }
  if (rc == 0) return s;
  close(s);
  return -1;
}

}  // namespace

UnreachableSender::UnreachableSender(IpDevice& device, Counters& counters, size_t linkHeader)
    : device_(device), counters_(counters), linkHeader_(linkHeader) {
  queue_.reserve(kQueueDepth);
  thread_ = std::thread(&UnreachableSender::Run, this);
}

UnreachableSender::~UnreachableSender() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
  CloseSockets();
}

bool UnreachableSender::Offer(const uint8_t* answer, size_t size) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() == kQueueDepth || size > kMaxUnreachableFrame) return false;
    Answer& queued = queue_.emplace_back();
    queued.size = size;
    std::memcpy(queued.bytes, answer, size);
  }
  wake_.notify_one();
  return true;
}

void UnreachableSender::Run() {
  std::vector<Answer> batch;
  batch.reserve(kQueueDepth);
  auto ready = [this] { return stopping_ || !queue_.empty(); };
  std::unique_lock lock(mu_);
  for (;;) {
    if (!socketsOpen_) {
      wake_.wait(lock, ready);
    } else if (!wake_.wait_for(lock, kSocketLinger, ready)) {
      lock.unlock();
      CloseSockets();
      lock.lock();
      continue;
    }
    if (stopping_) return;
    batch.swap(queue_);
    lock.unlock();
    for (const Answer& answer : batch) Deliver(answer);
    batch.clear();
    lock.lock();
  }
}

void UnreachableSender::Deliver(const Answer& answer) {
  const uint8_t* ip = answer.bytes + linkHeader_;
  const size_t size = answer.size - linkHeader_;
  const size_t quote = UnreachableQuoteOffset(ip);
  const bool v4 = ip[0] >> 4 == 4;
  ConntrackTuple reply;
  uint8_t sourceBeforeNat[16];
  if (size > quote && ReplyTupleOf(ip + quote, size - quote, &reply) && FollowDevice() &&
      (v4 ? raw4_ : raw6_) >= 0 && conntrack_.SourceBeforeNat(reply, sourceBeforeNat)) {
    counters_.Add(SendFromHost(ip, size, sourceBeforeNat) ? Counter::kUnreachableSentFromHost
                                                          : Counter::kUnreachableHostSendFailed);
    return;
  }
  counters_.Add(device_.Write(answer.bytes, answer.size) ? Counter::kUnreachableSent
                                                         : Counter::kDroppedTunWriteFailed);
}

bool UnreachableSender::FollowDevice() {
  std::string name;
  int nsFd = device_.OpenNetns(&name);
  struct stat where {};
  if (nsFd >= 0) {
    if (fstat(nsFd, &where) != 0) {
      close(nsFd);
      return false;
    }
  } else if (nsFd == -ENOTTY || nsFd == -EINVAL) {
    // A kernel before 5.2 cannot tell: the interface is where it was created, in ours.
    if (stat("/proc/self/ns/net", &where) != 0) return false;
  } else {
    return false;  // deleted
  }
  if (socketsOpen_ && where.st_dev == namespaceDevice_ && where.st_ino == namespaceInode_) {
    if (nsFd >= 0) close(nsFd);
    return conntrack_.IsOpen();
  }
  CloseSockets();
  try {
    conntrack_.Open(nsFd >= 0 ? "/proc/self/fd/" + std::to_string(nsFd) : "");
    auto openRaw = [this] {
      raw4_ = OpenSendOnlyRaw(AF_INET);
      raw6_ = OpenSendOnlyRaw(AF_INET6);
      return 0;
    };
    if (nsFd >= 0) {
      RunInNetnsFd(nsFd, openRaw);
    } else {
      openRaw();
    }
  } catch (const std::system_error&) {
    // No conntrack there (or the namespace cannot be joined): answers go through the device.
  }
  if (nsFd >= 0) close(nsFd);
  socketsOpen_ = true;
  namespaceDevice_ = where.st_dev;
  namespaceInode_ = where.st_ino;
  return conntrack_.IsOpen();
}

void UnreachableSender::CloseSockets() {
  conntrack_.Close();
  for (int* fd : {&raw4_, &raw6_}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
  socketsOpen_ = false;
}

bool UnreachableSender::SendFromHost(const uint8_t* ip, size_t size, const uint8_t* sourceBeforeNat) {
  uint8_t message[kMaxIcmpv6Error];
  const size_t length = BuildUnreachableForHost(ip, size, sourceBeforeNat, message);
  if (length == 0) return false;
  ssize_t sent;
  if (ip[0] >> 4 == 4) {
    int tos = ip[1];  // the kernel's: the packet's TOS bits under precedence "internetwork control"
    setsockopt(raw4_, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    std::memcpy(&to.sin_addr, sourceBeforeNat, 4);
    sent = sendto(raw4_, message, length, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  } else {
    sockaddr_in6 to{};
    to.sin6_family = AF_INET6;
    std::memcpy(&to.sin6_addr, sourceBeforeNat, 16);
    sent = sendto(raw6_, message, length, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  }
  return sent == static_cast<ssize_t>(length);
}

}  // namespace viaguard
