// The device's UDP sockets: IPv4 and IPv6 (IPV6_V6ONLY) on the same port, as wireguard-go's
// conn.StdNetBind opens them. Sending and receiving move batches of datagrams with
// sendmmsg/recvmmsg. Each family has a receiving socket per lane (each read by its own receive
// thread) and one for strangers in one SO_REUSEPORT group: a BPF program steers each known
// endpoint's datagrams (SetKnownEndpoints) to its lane's socket and strangers' to the last, and
// a socket filter drops what cannot be a WireGuard message in the kernel (socket_filters.h).
// Where the kernel refuses the program, the lanes' sockets share everything by the kernel's
// flow hash (a flow still to one socket).
// The kernel never fragments what they send (don't-fragment, as IP_PMTUDISC_DO /
// IPV6_DONTFRAG): a datagram beyond the path MTU is refused with EMSGSIZE, so a tunnel whose own
// packets are routed back into it dies out instead of looping on fragments.
// Not synchronised: the data plane serialises Bind/Close against I/O.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "endpoint.h"

namespace viaguard {

struct Datagram {
  uint8_t* data;
  size_t capacity;  // receive: room at data
  size_t length;    // send: bytes to send; receive: bytes received
  Endpoint peer;    // send: destination (and local source); receive: source (and local address)
  bool localRefused = false;  // send: the local address is gone; it went from the default one
  int error = 0;              // send: why the kernel refused it (length is then 0)
  // receive: not 0 when UDP GRO joined several datagrams of one source, each segmentSize bytes
  // but the last (which may be shorter)
  size_t segmentSize = 0;
};

class UdpSockets {
 public:
  static constexpr size_t kMaxBatch = 128;
  static constexpr size_t kMaxSegments = 64;  // per UDP GSO message (kernel UDP_MAX_SEGMENTS)
  static constexpr size_t kMaxSegmentedBytes = 65000;
  struct Control;  // room for a message's control data
  static constexpr int kBufferBytes = 7 << 20;  // wireguard-go's socket buffer size

  UdpSockets() = default;
  // How many lanes the next Bind opens (1..); the current sockets keep theirs.
  void SetLanes(size_t lanes) { lanes_ = lanes; }
  size_t Lanes() const { return lanes_; }
  ~UdpSockets() { Close(); }
  UdpSockets(const UdpSockets&) = delete;
  UdpSockets& operator=(const UdpSockets&) = delete;

  // Opens both sockets on port (0: a free port shared by both, retried when the IPv6 bind
  // collides) and replaces the current ones only on success. A family the host lacks
  // (EAFNOSUPPORT) is skipped. Returns the bound port; throws std::system_error.
  uint16_t Bind(uint16_t port);
  void Close();
  // Applies SO_MARK to the open sockets and to later binds (0 clears it).
  void SetFwmark(uint32_t mark);

  // The family's socket of a lane (0..Lanes()-1), or -1; Send goes through lane 0's.
  int LaneFd4(size_t lane) const { return lane < v4_.lanes.size() ? v4_.lanes[lane] : -1; }
  int LaneFd6(size_t lane) const { return lane < v6_.lanes.size() ? v6_.lanes[lane] : -1; }
  // The strangers' sockets; -1 when the kernel refused the steering program.
  int StrangerFd4() const { return v4_.stranger; }
  int StrangerFd6() const { return v6_.stranger; }
  // Datagrams from these endpoints go to their lanes' sockets, all others to the strangers'.
  void SetKnownEndpoints(const std::vector<Endpoint>& endpoints) const;
  // Datagrams the kernel dropped at our sockets since they were bound: not WireGuard messages
  // (the filter), or no room in a receive buffer.
  uint64_t KernelDrops() const;
  uint16_t Port() const { return port_; }
  bool IsOpen() const { return !v4_.lanes.empty() || !v6_.lanes.empty(); }

  // Sends count datagrams (any mix of families); flags are sendmmsg flags (MSG_DONTWAIT for
  // callers that must not block). Returns how many the kernel accepted; the length of each
  // datagram it refused is set to 0 and its error to the errno.
  size_t Send(Datagram* datagrams, size_t count, int flags) const;
  // Receives up to count (<= kMaxBatch) datagrams from fd without blocking. Give each at least
  // 64 KiB: with UDP GRO one receive may carry many datagrams (see Datagram::segmentSize).
  size_t Receive(int fd, Datagram* datagrams, size_t count) const;

 private:
  // Sends one family's datagrams through fd, coalescing runs with UDP GSO when gso is set.
  size_t SendFamily(int fd, Datagram* datagrams, size_t count, int flags, bool gso) const;

  mutable std::atomic<bool> gso_{true};
  struct FamilySockets {
    std::vector<int> lanes;  // empty: the family is not open
    int stranger = -1;
    void Close();
  };
  static FamilySockets ListenFamily(int family, uint16_t* port, uint32_t fwmark, size_t lanes,
                                    int* error);

  size_t lanes_ = 1;
  FamilySockets v4_;
  FamilySockets v6_;
  uint16_t port_ = 0;
  uint32_t fwmark_ = 0;
};

}  // namespace viaguard
