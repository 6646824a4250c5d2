// Delivers the data plane's destination-unreachable answers (icmp_error.h) on a thread of its
// own, off the transmit path, as the kernel's icmp_ndo_send decides: the offending packet's
// conntrack entry is looked up (conntrack.h) in the namespace the device lives in now (it may
// have been moved since it was created); when NAT changed the packet's source, the answer leaves
// from the host stack of that namespace toward the source before NAT (raw ICMP/ICMPv6 sockets:
// the kernel picks the answer's source by its route back), quoting the header as it was before
// NAT. Otherwise it is written back through the device, as for a packet that met no NAT.
//
// The sockets are closed once no answer came for a while: open, they would keep a namespace the
// device has left (or one being deleted) alive.
#pragma once
#include <sys/types.h>

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "conntrack.h"
#include "datapath_counters.h"
#include "icmp_error.h"
#include "ip_device.h"

namespace viaguard {

class UnreachableSender {
 public:
  // linkHeader: the bytes in front of each answer's IP packet (a TAP device's Ethernet header).
  UnreachableSender(IpDevice& device, Counters& counters, size_t linkHeader);
  ~UnreachableSender();  // joins the thread; answers still queued are dropped
  UnreachableSender(const UnreachableSender&) = delete;
  UnreachableSender& operator=(const UnreachableSender&) = delete;

  // Queues an answer of size bytes (at most kMaxUnreachableFrame). False when the queue is
  // full: the caller then writes it through the device itself.
  bool Offer(const uint8_t* answer, size_t size);

 private:
  struct Answer {
    size_t size;
    uint8_t bytes[kMaxUnreachableFrame];
  };

  void Run();
  void Deliver(const Answer& answer);
  // Makes the sockets those of the namespace the device is in now; false when that namespace
  // cannot be told or conntrack cannot be asked there.
  bool FollowDevice();
  void CloseSockets();
  // Sends the host stack's answer (BuildUnreachableForHost) to sourceBeforeNat.
  bool SendFromHost(const uint8_t* ip, size_t size, const uint8_t* sourceBeforeNat);

  IpDevice& device_;
  Counters& counters_;
  const size_t linkHeader_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Answer> queue_;  // capacity kQueueDepth, reserved
  bool stopping_ = false;

  // The thread's own.
  bool socketsOpen_ = false;
  dev_t namespaceDevice_ = 0;
  ino_t namespaceInode_ = 0;
  Conntrack conntrack_;
  int raw4_ = -1;
  int raw6_ = -1;

  std::thread thread_;
};

}  // namespace viaguard
