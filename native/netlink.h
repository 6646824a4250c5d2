// A netlink socket (NETLINK_ROUTE unless another protocol is asked for, e.g. NETLINK_NETFILTER):
// non-blocking, close-on-exec, large receive buffer, extended acks, optionally created inside
// another network namespace. Plain C++: the binding polls fd() and
// calls Receive() when it is readable; Ask() is one request and its answer, waiting for it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

struct nlmsghdr;

namespace viaguard {

class RtnlSocket {
 public:
  static constexpr int kNetlinkRoute = 0;  // NETLINK_ROUTE
  // How long Ask() waits for the kernel to say something more about its request.
  static constexpr int kAnswerTimeoutMs = 200;

  // What one Receive() call drained.
  struct Batch {
    std::vector<std::vector<uint8_t>> datagrams;
    // The kernel dropped multicast messages because the receive buffer was full (ENOBUFS):
    // whoever mirrors kernel state from this socket must dump it again.
    bool overflowed = false;
    // The socket would block now: everything queued has been read.
    bool drained = false;
  };

  RtnlSocket() = default;
  RtnlSocket(const RtnlSocket&) = delete;
  RtnlSocket& operator=(const RtnlSocket&) = delete;
  ~RtnlSocket();

  // Opens the socket, joins the RTNLGRP_* multicast groups listed, inside `netnsPath` when not
  // empty. Throws std::system_error on failure.
  void Open(const std::vector<uint32_t>& groups, const std::string& netnsPath,
            int protocol = kNetlinkRoute);
  // Sends one datagram (one or more netlink messages) to the kernel. Throws std::system_error.
  void Send(const uint8_t* data, size_t length);
  // Reads up to maxDatagrams queued datagrams without blocking. Throws std::system_error on
  // errors other than EAGAIN/ENOBUFS.
  Batch Receive(size_t maxDatagrams);
  // Sends one request (a whole netlink message; its nlmsg_seq names the answers) and hands each
  // message carrying that sequence number to `answer` until it returns a verdict (nullopt: not
  // the answer, read on). nullopt when a wait of kAnswerTimeoutMs passes with nothing to read.
  // Throws std::system_error as Send and Receive do.
  std::optional<bool> Ask(const std::vector<uint8_t>& request,
                          const std::function<std::optional<bool>(const nlmsghdr&)>& answer);
  void Close();

  int fd() const { return fd_; }
  bool isOpen() const { return fd_ >= 0; }
  // The port id the kernel bound this socket to (nl_pid).
  uint32_t portId() const { return portId_; }

 private:
  int fd_ = -1;
  uint32_t portId_ = 0;
  std::vector<uint8_t> buffer_;
};

}  // namespace viaguard
