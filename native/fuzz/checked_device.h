// A device double for fuzz targets that drive the data plane without a TUN/TAP device: it never
// has anything to read, and every packet the data plane writes to it must be well-formed (an IP
// packet whose header claims exactly its length; on a TAP device behind a 14-byte Ethernet
// header). Anything else aborts, so the fuzzer reports it.
#pragma once
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "ethernet.h"
#include "ip_device.h"
#include "ip_packet.h"

namespace viaguard::fuzz {

class CheckedDevice : public IpDevice {
 public:
  CheckedDevice(bool ethernet, Mac mac)
      : ethernet_(ethernet), mac_(mac), fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (fd_ < 0) Fail("eventfd");
  }
  ~CheckedDevice() override { close(fd_); }

  int PollFd() const override { return fd_; }  // never readable
  const std::string& Name() const override { return name_; }
  void SetMtu(int) override {}
  bool Ethernet() const override { return ethernet_; }
  uint64_t HardwareAddress() const override { return mac_; }

  ReadResult ReadBatch(PacketSlot*, size_t, size_t* filled, std::string*) override {
    *filled = 0;
    return ReadResult::kOk;
  }

  bool Write(const uint8_t* packet, size_t length) override {
    size_t link = ethernet_ ? kEthernetHeaderSize : 0;
    if (length < link) Fail("frame shorter than its Ethernet header");
    IpHeaderView header;
    if (!ParseIpHeader(packet + link, length - link, &header)) Fail("malformed IP packet written");
    if (header.totalLength != length - link) Fail("IP length differs from the bytes written");
    ++writes;
    return true;
  }

  size_t writes = 0;

 private:
  [[noreturn]] static void Fail(const char* what) {
    std::fprintf(stderr, "CheckedDevice: %s\n", what);
    std::abort();
  }

  const bool ethernet_;
  const Mac mac_;
  const int fd_;
  const std::string name_ = "fuzz0";
};

}  // namespace viaguard::fuzz
