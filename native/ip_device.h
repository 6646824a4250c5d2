// The data plane's view of its network device: a source and sink of packets. A TUN device
// hands IP packets as they are; a TAP device (route mode) hands Ethernet frames, which the data
// plane frames and unframes itself (the destination MAC names the peer, see ethernet.h).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "virtio_net_header.h"

namespace viaguard {

struct PacketSlot {
  uint8_t* data;    // where the IP packet (TAP: the frame) starts
  size_t capacity;  // bytes available at data
  size_t length;    // bytes of the packet, set by ReadBatch
};

class IpDevice {
 public:
  virtual ~IpDevice() = default;

  // The descriptor to wait on for readability (and EPOLLERR when the device is gone).
  virtual int PollFd() const = 0;
  virtual const std::string& Name() const = 0;
  virtual void SetMtu(int mtu) = 0;
  // True for a TAP device: ReadBatch and Write then carry Ethernet frames, not IP packets.
  virtual bool Ethernet() const = 0;
  // The interface's own MAC (TAP only), read from the kernel now.
  virtual uint64_t HardwareAddress() const = 0;
  // An fd of the network namespace the interface lives in now (it may have been moved since it
  // was created) and its name there; -errno when that cannot be told (EBADFD: it was deleted).
  virtual int OpenNetns(std::string* currentName) const = 0;
  // Another queue of the same interface (a multi-queue TUN/TAP): its own descriptor, from which
  // the kernel hands a share of the flows, each flow to one queue; null when the interface has
  // one queue only. Throws std::system_error when the kernel refuses.
  virtual std::unique_ptr<IpDevice> OpenQueue() const = 0;

  enum class ReadResult { kOk, kClosed };
  // Fills up to count slots without blocking; *filled says how many. A GSO super-packet
  // arrives cut into wire-sized packets, one per slot (each slot holds kMaxSegmentLength plus
  // the link header); *refused counts super-packets dropped because their virtio_net_hdr
  // disagreed with them. kClosed means the device has gone (deleted interface) and reading
  // again is pointless; *reason says why.
  virtual ReadResult ReadBatch(PacketSlot* slots, size_t count, size_t* filled, size_t* refused,
                               std::string* reason) = 0;
  // True when the last ReadBatch ran out of slots in the middle of a super-packet: the rest
  // comes with the next ReadBatch, which must follow without waiting for the descriptor.
  virtual bool Pending() const = 0;

  // Writes one IP packet (TAP: one frame); false when the device refused it (it is then dropped).
  virtual bool Write(const uint8_t* packet, size_t length) = 0;

  // The offloads the kernel accepted: TCP (TSO) and UDP (USO) super-packets may be written
  // with WriteOffloaded. Described for the log by OffloadDescription.
  virtual bool TcpOffload() const = 0;
  virtual bool UdpOffload() const = 0;
  virtual const std::string& OffloadDescription() const = 0;
  // Writes one packet with a virtio_net_hdr (only when an offload is on).
  virtual bool WriteOffloaded(const VirtioNetHeader& header, const uint8_t* packet,
                              size_t length) = 0;
};

}  // namespace viaguard
