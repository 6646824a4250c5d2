// Fuzz target: the IP header view every packet from the TUN device and every decrypted packet
// goes through, and the padding rule applied before encryption. A parsed header must describe
// bytes inside the buffer; the padded length must be the kernel's. Also what the answer to an
// unreachable packet reads of it: the conntrack reply tuple of the packet and of the answer's
// quote, and the host stack's answer (quoted source replaced, quoted IPv4 header checksum valid).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "conntrack.h"
#include "icmp_error.h"
#include "inet_checksum.h"
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
  ConntrackTuple tuple;
  ReplyTupleOf(p, size, &tuple);
  uint8_t answer[kMaxIcmpv6Error];
  size_t answered = BuildUnreachable(p, size, answer);
  if (answered > 0) {
    const size_t quote = UnreachableQuoteOffset(answer);
    Require(quote < answered, "an answer without a quote");
    ReplyTupleOf(answer + quote, answered - quote, &tuple);
    const uint8_t before[16] = {192, 0, 2, 1, 0x20, 0x01, 0x0d, 0xb8};
    uint8_t host[kMaxIcmpv6Error];
    size_t length = BuildUnreachableForHost(answer, answered, before, host);
    Require(length == answered - (quote - 8), "the host's answer is not the ICMP message");
    const bool v4 = answer[0] >> 4 == 4;
    const uint8_t* quoted = host + 8;
    Require(std::memcmp(quoted + (v4 ? 12 : 8), before, v4 ? 4 : 16) == 0, "quoted source not replaced");
    if (v4) {
      Require(ChecksumAdd(quoted, static_cast<size_t>(quoted[0] & 0x0f) * 4) == 0xffff, "quoted header checksum");
      Require(ChecksumAdd(host, length) == 0xffff, "ICMP checksum");
    }
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
