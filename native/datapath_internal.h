// What the data plane's stage files (datapath*.cc) share: batch and slot sizes, the epoll tags
// and the transmit thread's buffers. Not part of the DataPlane interface.
#pragma once
#include <pthread.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "datapath.h"
#include "protocol_constants.h"

namespace viaguard {

constexpr size_t kBatch = UdpSockets::kMaxBatch;
constexpr size_t kMaxIpPacket = 65535;
// A transmit slot holds a whole data message: header, packet, padding and tag.
constexpr size_t kTxSlotSize = kDataHeaderSize + kMaxIpPacket + kPaddingMultiple + kDataTagSize;

// Datagrams read from the strangers' sockets (see UdpSockets) per window: beyond, they wait
// (and the kernel drops them when their socket is full) until the next window. 16k/s: above
// the control plane's handshake capacity (~5k/s); a roaming peer's data comes this way only
// until its first authenticated packet moves its endpoint to the known socket.
constexpr size_t kStrangerDatagramsPerWindow = 64;
constexpr uint64_t kStrangerWindowNs = 4000000;

enum EpollTag : uint32_t {
  kTagDevice, kTagIpv4, kTagIpv6, kTagStrangers4, kTagStrangers6, kTagTxWake, kTagStop
};

// Writes what the receive thread's coalescer hands over to the device, each flow to its queue;
// a refused write is counted.
class DataPlane::DeviceWriter final : public PacketSink {
 public:
  DeviceWriter(DeviceQueues& queues, Counters& counters) : queues_(queues), counters_(counters) {}
  void WritePacket(const VirtioNetHeader& header, const uint8_t* packet, size_t length) override {
    if (!queues_.ForPacket(packet, length).WriteOffloaded(header, packet, length)) {
      counters_.Add(Counter::kDroppedTunWriteFailed);
    }
  }

 private:
  DeviceQueues& queues_;
  Counters& counters_;
};

// Names the calling thread base, base1, base2... by its queue or lane (ps, top, the tests).
inline void NameThread(const char* base, size_t index) {
  std::string name = base;
  if (index > 0) name += std::to_string(index);
  pthread_setname_np(pthread_self(), name.c_str());
}

inline uint64_t Elapsed(uint64_t now, uint64_t then) { return now > then ? now - then : 0; }

// The transmit thread's buffers: kBatch slots, each holding one whole data message (header,
// packet, padding, tag), and the messages waiting to be sealed (by the crypto pool) and sent
// in one sendmmsg. One more slot is the scratch space of multicast copies.
struct DataPlane::TxContext {
  std::unique_ptr<uint8_t[]> memory{new uint8_t[(kBatch + 1) * kTxSlotSize]};
  Datagram datagrams[kBatch];
  std::shared_ptr<Peer> peers[kBatch];
  KeypairPtr keypairs[kBatch];
  AeadPacket seals[kBatch];  // counter assigned in order; sealed at the flush
  bool data[kBatch];
  size_t size = 0;
  uint64_t sourceGeneration = 0;  // SourceRouteCheck's, read when the batch began

  uint8_t* Slot(size_t i) { return memory.get() + i * kTxSlotSize; }
};

// A receive lane's state: its segments (UDP GRO batches cut apart) waiting to be opened
// together, its coalescer, and its handshake events not yet posted.
struct DataPlane::RxContext {
  Datagram segments[kBatch];
  PeerTable::IndexEntry entries[kBatch];  // a keypair for each data message to open
  AeadPacket opens[kBatch];
  uint8_t opened[kBatch];
  size_t size = 0;
  std::unique_ptr<GroCoalescer> coalescer;  // when the device takes TSO
  size_t unpostedHandshakes = 0;
  uint64_t received = 0;  // authenticated data messages of the batch, counted at its end
};

}  // namespace viaguard
