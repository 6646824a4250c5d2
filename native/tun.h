// A Linux TUN device (IFF_TUN | IFF_NO_PI): IP packets in and out of a non-blocking fd.
#pragma once
#include <string>

#include "ip_device.h"

namespace viaguard {

// Opens /dev/net/tun and creates (or attaches to) the interface named name ("" lets the kernel
// choose). Returns the fd (O_CLOEXEC, non-blocking) and stores the kernel's name in *actual.
// Throws std::system_error on failure.
int CreateTunFd(const std::string& name, std::string* actual);

class Tun final : public IpDevice {
 public:
  // Takes ownership of fd, an attached TUN descriptor (from CreateTunFd or inherited through
  // WG_TUN_FD); makes it non-blocking and reads its interface name. Throws std::system_error,
  // leaving fd open (then still the caller's), when fd is not such a descriptor.
  explicit Tun(int fd);
  ~Tun() override;
  Tun(const Tun&) = delete;
  Tun& operator=(const Tun&) = delete;

  int PollFd() const override { return fd_; }
  const std::string& Name() const override { return name_; }
  void SetMtu(int mtu) override;
  ReadResult ReadBatch(PacketSlot* slots, size_t count, size_t* filled,
                       std::string* reason) override;
  bool Write(const uint8_t* packet, size_t length) override;

 private:
  int fd_;
  std::string name_;
};

}  // namespace viaguard
