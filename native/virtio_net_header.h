// The struct virtio_net_hdr that a TUN/TAP device opened with IFF_VNET_HDR puts in front of
// every packet (include/uapi/linux/virtio_net.h): whether the packet is a GSO super-packet to
// be cut into gsoSize-byte segments, and whether its transport checksum is left to complete.
// TUN uses the host's byte order for it unless told otherwise (TUNSETVNETLE/BE).
#pragma once
#include <cstddef>
#include <cstdint>

namespace viaguard {

struct VirtioNetHeader {
  uint8_t flags = 0;
  uint8_t gsoType = 0;
  uint16_t headerLength = 0;    // hdr_len: bytes of headers (link + IP + transport)
  uint16_t gsoSize = 0;         // payload bytes per segment
  uint16_t checksumStart = 0;   // csum_start: where the checksummed bytes begin
  uint16_t checksumOffset = 0;  // csum_offset: where the checksum is, from checksumStart
};
static_assert(sizeof(VirtioNetHeader) == 10, "virtio_net_hdr is 10 bytes");

constexpr size_t kVirtioNetHeaderSize = sizeof(VirtioNetHeader);

constexpr uint8_t kVirtioNeedsChecksum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
constexpr uint8_t kVirtioDataValid = 2;      // VIRTIO_NET_HDR_F_DATA_VALID

constexpr uint8_t kGsoNone = 0;      // VIRTIO_NET_HDR_GSO_NONE
constexpr uint8_t kGsoTcpV4 = 1;     // VIRTIO_NET_HDR_GSO_TCPV4
constexpr uint8_t kGsoUdp = 3;       // VIRTIO_NET_HDR_GSO_UDP (UFO: IP fragments; never enabled)
constexpr uint8_t kGsoTcpV6 = 4;     // VIRTIO_NET_HDR_GSO_TCPV6
constexpr uint8_t kGsoUdpL4 = 5;     // VIRTIO_NET_HDR_GSO_UDP_L4 (USO)
constexpr uint8_t kGsoEcnBit = 0x80; // VIRTIO_NET_HDR_GSO_ECN: the sender saw ECN (CWR) set

constexpr uint8_t kIpProtocolTcp = 6;
constexpr uint8_t kIpProtocolUdp = 17;
constexpr size_t kTcpChecksumOffset = 16;
constexpr size_t kUdpChecksumOffset = 6;
constexpr size_t kUdpHeaderSize = 8;

}  // namespace viaguard
