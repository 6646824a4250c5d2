// A device double for fuzz targets that drive the data plane without a TUN/TAP device: it never
// has anything to read, and every packet the data plane writes to it must be well-formed (an IP
// packet whose header claims exactly its length; on a TAP device behind a 14-byte Ethernet
// header). It grants TSO and USO, so received segments go through the coalescer: a joined write
// must be a super-packet that cuts (gso_split.h) into well-formed packets. Anything else aborts,
// so the fuzzer reports it.
#pragma once
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <vector>

#include "ethernet.h"
#include "gso_split.h"
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
  int OpenNetns(std::string*) const override { return -ENOTTY; }  // as a kernel that cannot tell
  std::unique_ptr<IpDevice> OpenQueue() const override { return nullptr; }

  ReadResult ReadBatch(PacketSlot*, size_t, size_t* filled, size_t* refused, std::string*) override {
    *filled = 0;
    *refused = 0;
    return ReadResult::kOk;
  }
  bool Pending() const override { return false; }

  bool Write(const uint8_t* packet, size_t length) override {
    size_t link = ethernet_ ? kEthernetHeaderSize : 0;
    if (length < link) Fail("frame shorter than its Ethernet header");
    IpHeaderView header;
    if (!ParseIpHeader(packet + link, length - link, &header)) Fail("malformed IP packet written");
    if (header.totalLength != length - link) Fail("IP length differs from the bytes written");
    ++writes;
    return true;
  }

  bool TcpOffload() const override { return true; }
  bool UdpOffload() const override { return true; }
  const std::string& OffloadDescription() const override { return offloads_; }
  bool WriteOffloaded(const VirtioNetHeader& header, const uint8_t* packet, size_t length) override {
    const size_t link = ethernet_ ? kEthernetHeaderSize : 0;
    GsoPlan plan;
    if (PlanSegments(header, packet, length, link, &plan) != PlanResult::kOk) {
      Fail("a write whose virtio_net_hdr disagrees with it");
    }
    if (!plan.gso) return Write(packet, length);
    std::vector<uint8_t> segment(link + kMaxSegmentLength);
    for (size_t i = 0; i < plan.segments; ++i) {
      Write(segment.data(), WriteSegment(plan, packet, i, segment.data()));
    }
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
  const std::string offloads_ = "csum tso4 tso6 uso4 uso6 (checked)";
};

}  // namespace viaguard::fuzz
