// A Linux TUN device (IFF_TUN | IFF_NO_PI: IP packets) or TAP device (IFF_TAP | IFF_NO_PI:
// Ethernet frames, for route mode) on a non-blocking fd, read in batches.
#pragma once
#include <string>

#include "ip_device.h"

namespace viaguard {

enum class DeviceKind { kTun, kTap };

// Opens /dev/net/tun and creates (or attaches to) the interface named name ("" lets the kernel
// choose). Returns the fd (O_CLOEXEC, non-blocking) and stores the kernel's name in *actual.
// Throws std::system_error on failure.
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
  ReadResult ReadBatch(PacketSlot* slots, size_t count, size_t* filled,
                       std::string* reason) override;
  bool Write(const uint8_t* packet, size_t length) override;

 private:
  // A datagram socket in the interface's current namespace for SIOC* ioctls, and its name there.
  int ControlSocket(std::string* currentName, const char* purpose) const;

  int fd_;
  std::string name_;
  DeviceKind kind_ = DeviceKind::kTun;
};

}  // namespace viaguard
