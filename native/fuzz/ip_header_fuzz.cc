// Fuzz target: the IP header view every packet from the TUN device and every decrypted packet
// goes through, and the padding rule applied before encryption. A parsed header must describe
// bytes inside the buffer; the padded length must be the kernel's.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "ip_packet.h"
#include "protocol_constants.h"

namespace {

void Require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "ip_header_fuzz: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace viaguard;
  std::unique_ptr<uint8_t[]> packet(new uint8_t[size]);
  std::memcpy(packet.get(), data, size);
  const uint8_t* p = packet.get();
  IpHeaderView header;
  if (ParseIpHeader(p, size, &header)) {
    int version = p[0] >> 4;
    size_t minimum = version == 4 ? 20 : 40;
    size_t addressSize = version == 4 ? 4 : 16;
    Require(static_cast<int>(header.family) == version, "family differs from the version");
    Require(header.totalLength >= minimum && header.totalLength <= size, "total length out of range");
    Require(header.source >= p && header.source + addressSize <= p + minimum, "source outside the header");
    Require(header.destination >= p && header.destination + addressSize <= p + minimum,
            "destination outside the header");
  }
  // The input's first bytes double as a length and an MTU for the padding rule.
  if (size >= 4) {
    size_t length = static_cast<size_t>(p[0]) << 8 | p[1];
    size_t mtu = static_cast<size_t>(p[2]) << 8 | p[3];
    size_t padded = PaddedLength(length, mtu);
    if (length > mtu) {
      Require(padded == length, "a packet above the MTU is padded");
    } else {
      Require(padded >= length && padded <= mtu, "padding outside [length, mtu]");
      Require(padded % kPaddingMultiple == 0 || padded == mtu, "padding not to a multiple of 16");
      Require(padded - length < kPaddingMultiple, "more padding than needed");
    }
  }
  return 0;
}
