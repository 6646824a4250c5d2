// The data plane engine: transmit threads (TUN -> AllowedIPs -> peer -> encrypt -> UDP), one
// per queue of a multi-queue device, each reading the flows the kernel hands its queue, and as
// many receive threads (UDP -> mac1 check / decrypt -> source check -> TUN), each reading its
// lane's sockets (a peer's datagrams always to one lane, see UdpSockets), all blocking in
// epoll_wait when idle. On a TAP device (route mode) the transmit thread reads Ethernet frames
// instead: the destination MAC names the peer (the kernel's routing chose it through ARP/NDP,
// which the transmit thread answers itself), link-local multicast goes to every peer, and the
// receive thread wraps decrypted packets in Ethernet from the peer's MAC. The control plane
// (JavaScript) configures it from its own thread and receives batched events; no packet goes
// through it in steady state.
//
// Its code is split by stage: datapath.cc (lifecycle, configuration, events), datapath_send.cc,
// datapath_receive.cc and datapath_frames.cc (route mode's Ethernet, ARP and NDP work).
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "allowedips.h"
#include "address_key.h"
#include "crypto_pool.h"
#include "datapath_counters.h"
#include "datapath_event.h"
#include "device_queues.h"
#include "gro_coalesce.h"
#include "ip_device.h"
#include "ip_packet.h"
#include "ethernet.h"
#include "icmp_error.h"
#include "handshake_ratelimiter.h"
#include "keypair.h"
#include "learnt_addresses.h"
#include "token_bucket.h"
#include "peer_table.h"
#include "route_mtu.h"
#include "source_route_check.h"
#include "shared_allowed_ips.h"
#include "source_verdicts.h"
#include "udp.h"
#include "unreachable_sender.h"

namespace viaguard {

// allowed-ips: the source must be in the peer's AllowedIPs. route: or the kernel's route back to
// it goes via the peer (SourceVerdicts). off: no check (rp_filter and the firewall decide).
enum class SourceCheck : uint8_t { kAllowedIps, kRoute, kOff };

struct SourceVerdict {
  AddressKey source;
  AddressKey destination;  // ours: the packet's destination
  PeerId peer;
  bool accept;
  uint64_t generation;  // from the kResolveSource event
};

struct PeerStats {
  PeerId id;
  uint64_t rxBytes, txBytes;
  uint64_t lastDataSentNs, lastDataReceivedNs, lastAuthSentNs, lastAuthReceivedNs;
  uint64_t firstDataSentSinceReceiveNs, firstDataReceivedSinceSendNs;
  uint64_t sourceCheckDrops, staged;
};

struct KeypairSlotIndices {
  int64_t previous = -1, current = -1, next = -1;  // local indices; -1 when empty
};

class DataPlane {
 public:
  // Takes the device, opens up to queues - 1 more queues of it (see DeviceQueues), sets its MTU
  // and starts a transmit thread per queue and as many receive threads (lanes). allowedIps is the table the
  // control plane edits (it takes the lock exclusively to write). notify is called from a data
  // plane thread when events arrive while none are waiting; the owner then calls TakeEvents.
  // cryptoThreads (>= 1, the I/O threads included) seal and open each batch together.
  DataPlane(std::unique_ptr<IpDevice> device, int mtu,
           std::shared_ptr<SharedAllowedIps> allowedIps, std::function<void()> notify,
           size_t cryptoThreads, size_t queues = 1);
  ~DataPlane();
  DataPlane(const DataPlane&) = delete;
  DataPlane& operator=(const DataPlane&) = delete;

  // Stops and joins the threads, closes the sockets and the device. Idempotent.
  void Close();
  bool IsClosed() const { return closed_; }

  const std::string& Name() const { return name_; }
  // The threads that share each batch's crypto (1: the I/O thread alone).
  size_t CryptoThreads() const { return cryptoThreads_; }
  // The device queues, each read by its own transmit thread; as many receive lanes.
  size_t Queues() const { return queues_->Count(); }
  uint16_t Bind(uint16_t port);
  uint16_t Port() const;
  void SetFwmark(uint32_t mark);
  void SetMac1Key(const uint8_t* key);  // 32 bytes, or null to refuse every handshake
  void SetSourceCheck(SourceCheck mode) { sourceCheck_.store(mode); }
  // A test knob: renew a session after this many messages instead of REKEY_AFTER_MESSAGES
  // (1..kRekeyAfterMessages), so tests can rekey under traffic in seconds. viaguardd sets it
  // only from VIAGUARD_TEST_REKEY_AFTER_MESSAGES; nothing else calls it.
  void SetRekeyAfterMessages(uint64_t messages) { rekeyAfterMessages_.store(messages, std::memory_order_relaxed); }
  void SetMtu(int mtu);
  // The MTUs of routes through the interface (route_mtu.h): padding stays within them.
  void SetRouteMtus(const std::vector<RouteMtu>& routes) { routeMtus_.Replace(routes); }

  // Route mode (a TAP device): whether frames are exchanged, and the MAC of our interface.
  bool Ethernet() const { return ethernet_; }
  // The device's offloads, as granted by the kernel (for the log).
  const std::string& Offloads() const { return offloads_; }
  uint64_t DeviceMac() const { return deviceMac_.load(std::memory_order_relaxed); }
  // Re-reads the interface's MAC (after `ip link set address`).
  void RefreshDeviceMac();
  // Where the interface lives now (see IpDevice::OpenNetns).
  int OpenDeviceNetns(std::string* currentName) const { return device_->OpenNetns(currentName); }
  // Sets the MAC that stands for the peer. Throws std::invalid_argument when another peer has
  // it or it is not a unicast MAC; false for an unknown peer.
  bool SetPeerMac(PeerId id, Mac mac);
  // The peer that answers for address: its AllowedIPs, else an address it taught us.
  PeerId OwnerOf(const AddressKey& address) const;
  std::vector<AddressKey> LearntAddressesOf(PeerId id) const { return learnt_.OfPeer(id); }

  // The `route` source check's answers (from kResolveSource events); held packets are written
  // to the device or dropped (counted) at once. ClearSourceVerdicts makes every pair ask again.
  void SettleSources(const std::vector<SourceVerdict>& verdicts);
  void ClearSourceVerdicts() { verdicts_.Clear(); }

  bool AddPeer(PeerId id);
  bool HasPeer(PeerId id) const { return peers_.Find(id) != nullptr; }
  // A configuration change of many peers holds steering updates: the steering program is
  // rebuilt and attached once, on the last release, instead of once per endpoint change.
  void HoldSteering();
  void ReleaseSteering();
  bool RemovePeer(PeerId id);  // also drops its keypairs, staged packets and AllowedIPs
  bool SetEndpoint(PeerId id, const Endpoint& endpoint);  // unset endpoint clears it
  // The endpoints of the peers that remember a local (source) address, for the control plane
  // to check against the routes (the kernel's WireGuard re-checks its cached source on each
  // send). ForgetLocalAddress drops the peer's local address if its endpoint is still `seen`
  // (address, port, local address and interface); the next send lets the kernel choose one.
  std::vector<std::pair<PeerId, Endpoint>> LocalAddresses() const;
  bool ForgetLocalAddress(PeerId id, const Endpoint& seen);
  // Keeps the endpoint but lets the kernel pick the local address again (kernel
  // wg_socket_clear_peer_endpoint_src, on a handshake retransmission).
  bool ClearEndpointSource(PeerId id);
  // Throws std::invalid_argument for an unknown peer or a local index in use.
  void InstallKeypair(PeerId id, const KeypairParams& params);
  bool RemoveKeypair(uint32_t localIndex);
  bool ClearKeypairs(PeerId id);
  KeypairSlotIndices Keypairs(PeerId id) const;
  // Whether a keypair holds this local index (the control plane allocates indices around them).
  bool HasKeypairIndex(uint32_t localIndex) const;

  bool SendHandshake(PeerId id, const uint8_t* message, size_t length);
  bool SendTo(const Endpoint& endpoint, const uint8_t* message, size_t length);
  bool SendKeepalive(PeerId id);
  bool DropStaged(PeerId id);  // the handshake gave up: forget the packets waiting for it

  // Handles received datagrams (UDP GRO batches split by segmentSize) as the receive thread
  // does after reading them, and posts the events. For callers without a socket (the receive
  // path's fuzz target): it must not run while the receive thread can, i.e. before any Bind.
  void ReceiveBatch(Datagram* datagrams, size_t count);

  std::vector<PeerStats> Stats() const;
  uint64_t Count(Counter c) const;
  std::vector<DataPlaneEvent> TakeEvents();

 private:
  struct TxContext;
  enum class TxWork : uint8_t { kFlushStaged, kKeepalive };

  // The transmit thread of queue q; q 0 also runs the control plane's TxWork and reports the
  // device's end.
  void TransmitLoop(size_t q);
  // The receive thread of lane; lane 0 also reads the strangers' sockets.
  void ReceiveLoop(size_t lane);
  // Reads one batch from lane's socket behind tag and handles it; returns the datagrams read.
  size_t ReadAndReceive(size_t lane, uint32_t tag, Datagram* datagrams, uint8_t* memory,
                        std::vector<DataPlaneEvent>& events);
  // Stops (or resumes) polling the strangers' sockets: their datagrams then wait, or the
  // kernel drops them, instead of taking the receive thread from the peers'.
  void ArmStrangers(bool armed);
  // Tells the sockets every peer's endpoint (their datagrams are preferred); while held (see
  // HoldSteering), only notes that an update is due.
  void UpdateSteering();
  void RunTxWork(TxContext& tx, std::vector<DataPlaneEvent>& events);
  // False when the device has gone (queue 0 then posts kClosed).
  bool TransmitFromDevice(size_t q, TxContext& tx, std::vector<DataPlaneEvent>& events);
  // Route mode: decides each frame's peer by its destination MAC (flood: every peer), answers
  // ARP/NDP, and leaves packetLength[i] the IP packet's length.
  void ClassifyFrames(PacketSlot* frames, size_t count, PeerId* owners, bool* flood,
                      size_t* packetLength);
  void AnswerNeighbour(const NeighbourQuery& query);
  // Tells the sender of a packet the tunnel cannot carry (ICMP/ICMPv6 destination unreachable,
  // rate-limited), through unreachable_ (the device, or the host stack after NAT). packet is
  // the IP packet; on a TAP device its Ethernet header precedes it.
  void AnswerUnreachable(const uint8_t* packet, size_t length, uint64_t now);
  void Flood(TxContext& tx, const uint8_t* packet, size_t length, uint64_t now,
             std::vector<DataPlaneEvent>& events);
  // Encrypts the packet of length bytes found at message + kDataHeaderSize in place and queues
  // it, or stages it when peer has no usable session. False (the packet untouched) when the
  // peer has no endpoint.
  // The MTU a data packet is padded within: the device MTU, or the smaller MTU of the route to
  // its destination.
  size_t PaddingMtu(const uint8_t* packet, size_t length) const;
  // Asks whether endpoint's local address (peer's remembered source, unconfirmed since routes or
  // addresses changed: generation is SourceRouteCheck's) still holds; drops it from the peer
  // when not. Returns the answer.
  bool ConfirmSource(Peer& peer, const Endpoint& endpoint, uint64_t generation);
  bool Transmit(TxContext& tx, const std::shared_ptr<Peer>& peer, uint8_t* message,
                size_t length, uint64_t now, std::vector<DataPlaneEvent>& events);
  // Seals and sends what tx holds, in its order.
  void FlushTx(TxContext& tx);
  static void SealTx(void* context, size_t begin, size_t end);  // a CryptoPool task
  void Stage(Peer& peer, const uint8_t* packet, size_t length);
  void RequestHandshake(Peer& peer, uint64_t now, std::vector<DataPlaneEvent>& events);
  struct RxContext;
  void ReceiveBatch(RxContext& rx, Datagram* datagrams, size_t count,
                    std::vector<DataPlaneEvent>& events);
  // The batch's segments in rx, in three steps: checks before decryption in order, decryption
  // on the crypto pool, then the rest of each message's handling in order.
  void ReceiveSegments(RxContext& rx, uint64_t now, std::vector<DataPlaneEvent>& events);
  static void OpenRx(void* context, size_t begin, size_t end);  // a CryptoPool task
  // Every message but a data message long enough to open: handshakes, garbage.
  void ReceiveDatagram(RxContext& rx, Datagram& datagram, uint64_t now,
                       std::vector<DataPlaneEvent>& events);
  // A data message's checks before decryption: its keypair into entry and its AEAD job into
  // open, or false (counted).
  bool PrepareData(Datagram& datagram, uint64_t now, PeerTable::IndexEntry& entry,
                   AeadPacket& open);
  // After decryption (opened: whether it authenticated), with the keypair's receiveMu held: the
  // replay window, roaming, session confirmation, then its packet to ConsumeData.
  void AcceptData(RxContext& rx, Datagram& datagram, const PeerTable::IndexEntry& entry,
                  bool opened, uint64_t now, std::vector<DataPlaneEvent>& events);
  // A decrypted packet (plainLength bytes at payload, with room for an Ethernet header before
  // it): source check, then the write to the device (through rx's coalescer when it has one).
  void ConsumeData(RxContext& rx, Peer& peer, uint8_t* payload, size_t plainLength, uint64_t now,
                   std::vector<DataPlaneEvent>& events);
  bool VerifyMac1(const uint8_t* message, size_t length);
  enum class SourceResult { kAccept, kDrop, kHeld };
  // Applies the source check to a decrypted packet from peer; out/outLength are the bytes that
  // would be written to the device (held for a verdict when it is pending).
  SourceResult CheckSource(Peer& peer, const IpHeaderView& header, const uint8_t* out,
                           size_t outLength, std::vector<DataPlaneEvent>& events);
  void DropForSource(Peer& peer, uint64_t packets);
  void Learn(const AddressKey& address, PeerId peer, std::vector<DataPlaneEvent>& events);
  void QueueTxWork(PeerId id, TxWork work);
  // The peer's local address was refused by the kernel (no longer ours): stop using it.
  void ForgetLocal(Peer& peer, const Endpoint& sentTo);
  void Post(std::vector<DataPlaneEvent>& events);
  void Wake(int eventFd);

  std::unique_ptr<IpDevice> device_;
  std::unique_ptr<DeviceQueues> queues_;  // device_ first; closed before it
  std::string name_;
  std::string offloads_;
  // Where the receive threads' coalescers write super-packets (when the device takes TSO).
  class DeviceWriter;
  std::unique_ptr<DeviceWriter> deviceWriter_;
  std::unique_ptr<CryptoPool> crypto_;  // joined by Close
  size_t cryptoThreads_;
  // Each receive lane's batch state (lane 0's is also ReceiveBatch's).
  std::vector<std::unique_ptr<RxContext>> rxLanes_;
  std::function<void()> notify_;
  std::atomic<int> mtu_;
  RouteMtuTable routeMtus_;
  SourceRouteCheck sourceRoutes_;
  std::atomic<uint32_t> fwmark_{0};  // for SourceRouteCheck, as the sockets' SO_MARK
  std::atomic<SourceCheck> sourceCheck_{SourceCheck::kAllowedIps};
  std::atomic<uint64_t> rekeyAfterMessages_{kRekeyAfterMessages};
  const bool ethernet_;
  std::atomic<uint64_t> deviceMac_{0};

  PeerTable peers_;
  std::shared_ptr<SharedAllowedIps> allowed_;  // edited by the control plane under its lock
  mutable std::shared_mutex macsMu_;
  std::unordered_map<Mac, PeerId> peerByMac_;
  LearntAddresses learnt_;
  SourceVerdicts verdicts_;
  TokenBucket unreachableBudget_{kUnreachablePerSecond, kUnreachableBurst};
  std::unique_ptr<UnreachableSender> unreachable_;  // joined by Close, before the device closes

  mutable std::shared_mutex socketsMu_;  // I/O shares it; Bind/Close take it exclusively
  UdpSockets sockets_;
  std::mutex steeringMu_;  // one steering update at a time: the last one sees every endpoint
  int steeringHolds_ = 0;  // guarded by steeringMu_
  bool steeringDue_ = false;
  void UpdateSteeringLocked();

  std::mutex mac1Mu_;
  bool hasMac1Key_ = false;
  uint8_t mac1Key_[32] = {};

  std::mutex txWorkMu_;
  std::vector<std::pair<PeerId, TxWork>> txWork_;

  std::mutex eventsMu_;
  std::vector<DataPlaneEvent> events_;
  std::atomic<size_t> queuedHandshakes_{0};  // handshake events in events_ (written under eventsMu_)
  std::mutex handshakeLimiterMu_;  // every lane admits handshakes
  HandshakeRatelimiter handshakeLimiter_;
  bool notifyPending_ = false;

  Counters counters_;

  int stopFd_ = -1;    // eventfd: every thread wakes and exits when it is readable
  int txWakeFd_ = -1;  // eventfd: transmit work queued (for queue 0's thread)
  std::vector<int> txEpolls_;  // one per queue
  std::vector<int> rxEpolls_;  // one per lane
  bool closed_ = false;
  std::vector<std::thread> txThreads_;  // one per queue
  std::vector<std::thread> rxThreads_;  // one per lane
};

}  // namespace viaguard
