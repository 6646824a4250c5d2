// The data plane's view of its network device: a source and sink of IP packets. A TUN device
// hands IP packets as they are; a TAP device (route mode) will implement the same interface by
// stripping and adding Ethernet framing, so the encrypt/decrypt paths never see frames.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace viaguard {

struct PacketSlot {
  uint8_t* data;    // where the IP packet starts
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

  enum class ReadResult { kOk, kClosed };
  // Fills up to count slots without blocking; *filled says how many. kClosed means the
  // device has gone (deleted interface) and reading again is pointless; *reason says why.
  virtual ReadResult ReadBatch(PacketSlot* slots, size_t count, size_t* filled,
                               std::string* reason) = 0;

  // Writes one IP packet; false when the device refused it (it is then dropped).
  virtual bool Write(const uint8_t* packet, size_t length) = 0;
};

}  // namespace viaguard
