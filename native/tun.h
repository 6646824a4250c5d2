// A Linux TUN device (IFF_TUN | IFF_NO_PI: IP packets) or TAP device (IFF_TAP | IFF_NO_PI:
// Ethernet frames, for route mode) on a non-blocking fd, read in batches. Created with
// IFF_VNET_HDR, it asks the kernel for checksum, TSO and USO offloads, taking what the kernel
// grants: reads then bring GSO super-packets (cut here into wire-sized packets) and writes may
// carry them (see gro_coalesce.h).
#pragma once
#include <memory>
#include <string>

#include "gso_split.h"
#include "ip_device.h"

namespace viaguard {

enum class DeviceKind { kTun, kTap };

// Opens /dev/net/tun and creates (or attaches to) the interface named name ("" lets the kernel
// choose), multi-queue (IFF_MULTI_QUEUE) unless it exists with one queue. Returns the fd
// (O_CLOEXEC, non-blocking) and stores the kernel's name in *actual. Throws std::system_error on
// failure.
int CreateTunFd(const std::string& name, std::string* actual, DeviceKind kind = DeviceKind::kTun);

class Tun final : public IpDevice {
 public:
  // Takes ownership of fd, an attached TUN or TAP descriptor (from CreateTunFd or inherited
  // through WG_TUN_FD); makes it non-blocking and reads its interface name and kind. Throws
  // std::system_error, leaving fd open (then still the caller's), when fd is not such a
  // descriptor.
  explicit Tun(int fd);
  ~Tun() override;
  Tun(const Tun&) = delete;
  Tun& operator=(const Tun&) = delete;

  int PollFd() const override { return fd_; }
  const std::string& Name() const override { return name_; }
  void SetMtu(int mtu) override;
  bool Ethernet() const override { return kind_ == DeviceKind::kTap; }
  uint64_t HardwareAddress() const override;
  int OpenNetns(std::string* currentName) const override;
  std::unique_ptr<IpDevice> OpenQueue() const override;
  ReadResult ReadBatch(PacketSlot* slots, size_t count, size_t* filled, size_t* refused,
                       std::string* reason) override;
  bool Pending() const override { return pendingNext_ < pendingPlan_.segments; }
  bool Write(const uint8_t* packet, size_t length) override;
  bool TcpOffload() const override { return tcpOffload_; }
  bool UdpOffload() const override { return udpOffload_; }
  const std::string& OffloadDescription() const override { return offloads_; }
  bool WriteOffloaded(const VirtioNetHeader& header, const uint8_t* packet,
                      size_t length) override;

 private:
  void EnableOffloads();
  // Cuts segments of the held super-packet into slots, from pendingNext_ on.
  void TakePending(PacketSlot* slots, size_t count, size_t* filled);
  // A datagram socket in the interface's current namespace for SIOC* ioctls, and its name there.
  int ControlSocket(std::string* currentName, const char* purpose) const;

  int fd_;
  std::string name_;
  DeviceKind kind_ = DeviceKind::kTun;
  short flags_ = 0;  // TUNGETIFF's: the kind, IFF_NO_PI, IFF_VNET_HDR, IFF_MULTI_QUEUE
  bool vnetHeader_ = false;  // every read and write starts with a virtio_net_hdr
  bool tcpOffload_ = false, udpOffload_ = false;
  std::string offloads_ = "none (no IFF_VNET_HDR)";
  // A super-packet with more segments than the slots left, kept for the next ReadBatch.
  std::unique_ptr<uint8_t[]> pending_;
  GsoPlan pendingPlan_{};
  size_t pendingNext_ = 1;  // == pendingPlan_.segments: nothing pending
};

}  // namespace viaguard
