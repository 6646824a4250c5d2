#include "datapath.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "blake2s.h"
#include "clock.h"
#include "ip_packet.h"
#include "protocol_constants.h"

namespace viaguard {
namespace {

constexpr size_t kBatch = UdpSockets::kMaxBatch;
constexpr size_t kMaxIpPacket = 65535;
// A transmit slot holds a whole data message: header, packet, padding and tag.
constexpr size_t kTxSlotSize = kDataHeaderSize + kMaxIpPacket + kPaddingMultiple + kDataTagSize;
constexpr size_t kRxSlotSize = 65536;
constexpr uint64_t kNeedHandshakeInterval = kNsPerSecond;  // at most one event per peer per second

// Datagrams read from the strangers' sockets (see UdpSockets) per window: beyond, they wait
// (and the kernel drops them when their socket is full) until the next window. 16k/s: above
// the control plane's handshake capacity (~5k/s); a roaming peer's data comes this way only
// until its first authenticated packet moves its endpoint to the known socket.
constexpr size_t kStrangerDatagramsPerWindow = 64;
constexpr uint64_t kStrangerWindowNs = 4000000;

enum EpollTag : uint32_t {
  kTagDevice, kTagIpv4, kTagIpv6, kTagStrangers4, kTagStrangers6, kTagTxWake, kTagStop
};

uint32_t Load32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
uint64_t Load64(const uint8_t* p) {
  return static_cast<uint64_t>(Load32(p)) | static_cast<uint64_t>(Load32(p + 4)) << 32;
}
void Store32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void Store64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

int MakeEventFd() {
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  return fd;
}

int MakeEpoll() {
  int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  return fd;
}

void Watch(int epoll, int fd, EpollTag tag) {
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u32 = tag;
  if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev) < 0) {
    throw std::system_error(errno, std::generic_category(), "epoll_ctl");
  }
}

void Drain(int eventFd) {
  uint64_t value;
  while (read(eventFd, &value, sizeof value) < 0 && errno == EINTR) {
  }
}

uint64_t Elapsed(uint64_t now, uint64_t then) { return now > then ? now - then : 0; }

}  // namespace

DataPath::DataPath(std::unique_ptr<IpDevice> device, int mtu,
                   std::shared_ptr<SharedAllowedIps> allowedIps, std::function<void()> notify)
    : device_(std::move(device)),
      name_(device_->Name()),
      notify_(std::move(notify)),
      mtu_(mtu),
      ethernet_(device_->Ethernet()),
      allowed_(std::move(allowedIps)) {
  device_->SetMtu(mtu);
  deviceMac_.store(device_->HardwareAddress());
  try {
    stopFd_ = MakeEventFd();
    txWakeFd_ = MakeEventFd();
    txEpoll_ = MakeEpoll();
    rxEpoll_ = MakeEpoll();
    Watch(txEpoll_, device_->PollFd(), kTagDevice);
    Watch(txEpoll_, txWakeFd_, kTagTxWake);
    Watch(txEpoll_, stopFd_, kTagStop);
    Watch(rxEpoll_, stopFd_, kTagStop);
  } catch (...) {
    for (int fd : {stopFd_, txWakeFd_, txEpoll_, rxEpoll_}) {
      if (fd >= 0) close(fd);
    }
    throw;
  }
  try {
    txThread_ = std::thread(&DataPath::TransmitLoop, this);
    rxThread_ = std::thread(&DataPath::ReceiveLoop, this);
  } catch (...) {
    Close();  // joins whichever thread did start
    throw;
  }
}

DataPath::~DataPath() { Close(); }

void DataPath::Close() {
  if (closed_) return;
  closed_ = true;
  Wake(stopFd_);
  if (txThread_.joinable()) txThread_.join();
  if (rxThread_.joinable()) rxThread_.join();
  for (int fd : {stopFd_, txWakeFd_, txEpoll_, rxEpoll_}) close(fd);
  {
    std::unique_lock lock(socketsMu_);
    sockets_.Close();
  }
  device_.reset();
}

void DataPath::Wake(int eventFd) {
  uint64_t one = 1;
  while (write(eventFd, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

// ---- configuration (control plane thread) ----

uint16_t DataPath::Bind(uint16_t port) {
  std::unique_lock lock(socketsMu_);
  if (sockets_.IsOpen() && port != 0 && port == sockets_.Port()) return port;
  uint16_t bound = sockets_.Bind(port);
  // The previous sockets are closed, which removes them from the epoll set.
  if (sockets_.Fd4() >= 0) Watch(rxEpoll_, sockets_.Fd4(), kTagIpv4);
  if (sockets_.Fd6() >= 0) Watch(rxEpoll_, sockets_.Fd6(), kTagIpv6);
  if (sockets_.StrangerFd4() >= 0) Watch(rxEpoll_, sockets_.StrangerFd4(), kTagStrangers4);
  if (sockets_.StrangerFd6() >= 0) Watch(rxEpoll_, sockets_.StrangerFd6(), kTagStrangers6);
  lock.unlock();
  UpdateSteering();
  return bound;
}

void DataPath::UpdateSteering() {
  std::lock_guard steering(steeringMu_);
  std::vector<Endpoint> endpoints;
  peers_.ForEach([&endpoints](Peer& peer) {
    std::lock_guard lock(peer.mu);
    if (peer.endpoint.IsSet()) endpoints.push_back(peer.endpoint);
  });
  std::shared_lock lock(socketsMu_);
  sockets_.SetKnownEndpoints(endpoints);
}

uint64_t DataPath::Count(Counter c) const {
  if (c != Counter::kDroppedByKernel) return counters_.Get(c);
  std::shared_lock lock(socketsMu_);
  return sockets_.KernelDrops();
}

uint16_t DataPath::Port() const {
  std::shared_lock lock(socketsMu_);
  return sockets_.Port();
}

void DataPath::SetFwmark(uint32_t mark) {
  std::unique_lock lock(socketsMu_);
  sockets_.SetFwmark(mark);
}

void DataPath::SetMac1Key(const uint8_t* key) {
  std::lock_guard lock(mac1Mu_);
  hasMac1Key_ = key != nullptr;
  if (key) {
    std::memcpy(mac1Key_, key, sizeof mac1Key_);
  } else {
    OPENSSL_cleanse(mac1Key_, sizeof mac1Key_);
  }
}

void DataPath::SetMtu(int mtu) {
  device_->SetMtu(mtu);
  mtu_.store(mtu);
}

void DataPath::RefreshDeviceMac() { deviceMac_.store(device_->HardwareAddress()); }

bool DataPath::AddPeer(PeerId id) { return peers_.Add(id); }

bool DataPath::RemovePeer(PeerId id) {
  std::shared_ptr<Peer> peer = peers_.Remove(id);
  if (!peer) return false;
  {
    std::unique_lock lock(allowed_->mutex);
    allowed_->table.RemoveAll(id);
  }
  {
    std::unique_lock lock(macsMu_);
    peerByMac_.erase(peer->mac.load());
  }
  learnt_.RemovePeer(id);
  size_t held = verdicts_.RemovePeer(id);
  if (held > 0) counters_.Add(Counter::kDroppedSourceCheck, held);
  UpdateSteering();
  return true;
}

bool DataPath::SetPeerMac(PeerId id, Mac mac) {
  uint8_t bytes[kMacSize6];
  MacToBytes(mac, bytes);
  if (mac == 0 || IsGroupMac(bytes)) throw std::invalid_argument("a peer's MAC must be unicast");
  std::shared_ptr<Peer> peer = peers_.Find(id);
  if (!peer) return false;
  std::unique_lock lock(macsMu_);
  auto it = peerByMac_.find(mac);
  if (it != peerByMac_.end() && it->second != id) {
    throw std::invalid_argument("peer " + std::to_string(it->second) + " already has that MAC");
  }
  peerByMac_.erase(peer->mac.load());
  peerByMac_[mac] = id;
  peer->mac.store(mac);
  return true;
}

PeerId DataPath::OwnerOf(const AddressKey& address) const {
  PeerId owner;
  {
    std::shared_lock lock(allowed_->mutex);
    owner = allowed_->table.Lookup(address.family, address.bytes);
  }
  return owner != kNoPeer ? owner : learnt_.Lookup(address);
}

void DataPath::DropForSource(Peer& peer, uint64_t packets) {
  counters_.Add(Counter::kDroppedSourceCheck, packets);
  peer.sourceCheckDrops.fetch_add(packets, std::memory_order_relaxed);
}

void DataPath::SettleSources(const std::vector<SourceVerdict>& verdicts) {
  uint64_t now = MonotonicNs();
  for (const SourceVerdict& v : verdicts) {
    std::vector<std::vector<uint8_t>> held =
        verdicts_.Settle(v.source, v.destination, v.peer, v.accept, v.generation);
    std::shared_ptr<Peer> peer = peers_.Find(v.peer);
    if (!peer || held.empty()) continue;
    if (!v.accept) {
      DropForSource(*peer, held.size());
      continue;
    }
    for (const std::vector<uint8_t>& bytes : held) {
      if (!device_->Write(bytes.data(), bytes.size())) {
        counters_.Add(Counter::kDroppedTunWriteFailed);
        continue;
      }
      peer->lastDataReceivedNs.store(now, std::memory_order_relaxed);
    }
  }
}

bool DataPath::SetEndpoint(PeerId id, const Endpoint& endpoint) {
  std::shared_ptr<Peer> peer = peers_.Find(id);
  if (!peer) return false;
  {
    std::lock_guard lock(peer->mu);
    peer->endpoint = endpoint;
  }
  UpdateSteering();
  return true;
}

void DataPath::InstallKeypair(PeerId id, const KeypairParams& params) {
  peers_.Install(id, std::make_shared<Keypair>(params));
  // An initiator's keypair is usable at once: send what waited for it.
  if (params.initiator) QueueTxWork(id, TxWork::kFlushStaged);
}

bool DataPath::RemoveKeypair(uint32_t localIndex) { return peers_.RemoveKeypair(localIndex); }

bool DataPath::ClearKeypairs(PeerId id) { return peers_.ClearKeypairs(id); }

KeypairSlotIndices DataPath::Keypairs(PeerId id) const {
  KeypairSlotIndices out;
  std::shared_ptr<Peer> peer = peers_.Find(id);
  if (!peer) return out;
  std::lock_guard lock(peer->mu);
  const KeypairSlots& slots = peer->keypairs;
  if (slots.previous()) out.previous = slots.previous()->localIndex;
  if (slots.current()) out.current = slots.current()->localIndex;
  if (slots.next()) out.next = slots.next()->localIndex;
  return out;
}

bool DataPath::SendHandshake(PeerId id, const uint8_t* message, size_t length) {
  std::shared_ptr<Peer> peer = peers_.Find(id);
  if (!peer) return false;
  Endpoint endpoint;
  {
    std::lock_guard lock(peer->mu);
    endpoint = peer->endpoint;
  }
  if (!endpoint.IsSet()) return false;
  Datagram datagram{const_cast<uint8_t*>(message), length, length, endpoint};
  {
    std::shared_lock lock(socketsMu_);
    if (sockets_.Send(&datagram, 1, MSG_DONTWAIT) != 1) return false;
  }
  if (datagram.localRefused) ForgetLocal(*peer, endpoint);
  peer->txBytes.fetch_add(length, std::memory_order_relaxed);
  peer->NoteAuthenticatedSent(MonotonicNs(), false);
  return true;
}

void DataPath::ForgetLocal(Peer& peer, const Endpoint& sentTo) {
  std::lock_guard lock(peer.mu);
  if (peer.endpoint == sentTo) peer.endpoint.hasLocal = false;
}

bool DataPath::SendTo(const Endpoint& endpoint, const uint8_t* message, size_t length) {
  Datagram datagram{const_cast<uint8_t*>(message), length, length, endpoint};
  std::shared_lock lock(socketsMu_);
  // The control plane's thread never blocks on a full socket buffer.
  return sockets_.Send(&datagram, 1, MSG_DONTWAIT) == 1;
}

bool DataPath::SendKeepalive(PeerId id) {
  if (!peers_.Find(id)) return false;
  QueueTxWork(id, TxWork::kKeepalive);
  return true;
}

bool DataPath::ResetNewHandshakeTimer(PeerId id) {
  std::shared_ptr<Peer> peer = peers_.Find(id);
  if (!peer) return false;
  peer->firstDataSinceReceiveNs.store(0, std::memory_order_relaxed);
  return true;
}

bool DataPath::DropStaged(PeerId id) {
  std::shared_ptr<Peer> peer = peers_.Find(id);
  if (!peer) return false;
  std::lock_guard lock(peer->mu);
  peer->staged.clear();
  peer->stagedCount.store(0, std::memory_order_relaxed);
  return true;
}

std::vector<PeerStats> DataPath::Stats() const {
  std::vector<PeerStats> out;
  peers_.ForEach([&out](Peer& p) {
    auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    out.push_back({p.id, get(p.rxBytes), get(p.txBytes), get(p.lastDataSentNs),
                   get(p.lastDataReceivedNs), get(p.lastAuthSentNs), get(p.lastAuthReceivedNs),
                   get(p.firstDataSinceReceiveNs), get(p.sourceCheckDrops), get(p.stagedCount)});
  });
  return out;
}

// ---- events ----

void DataPath::Post(std::vector<DataPathEvent>& events) {
  if (events.empty()) return;
  bool wake;
  {
    std::lock_guard lock(eventsMu_);
    for (DataPathEvent& e : events) {
      if (e.type == DataPathEvent::Type::kHandshake) {
        // A flood of valid-mac1 messages must not grow memory without bound while JS is busy.
        if (queuedHandshakes_.load(std::memory_order_relaxed) >= kMaxQueuedHandshakes) {
          counters_.Add(Counter::kDroppedHandshakeBacklog);
          continue;
        }
        queuedHandshakes_.fetch_add(1, std::memory_order_relaxed);
      }
      events_.push_back(std::move(e));
    }
    wake = !notifyPending_;
    notifyPending_ = true;
  }
  events.clear();
  if (wake) notify_();
}

std::vector<DataPathEvent> DataPath::TakeEvents() {
  std::lock_guard lock(eventsMu_);
  std::vector<DataPathEvent> out;
  out.swap(events_);
  queuedHandshakes_.store(0, std::memory_order_relaxed);
  notifyPending_ = false;
  return out;
}

void DataPath::RequestHandshake(Peer& peer, uint64_t now, std::vector<DataPathEvent>& events) {
  uint64_t last = peer.lastNeedHandshakeNs.load(std::memory_order_relaxed);
  if (last != 0 && Elapsed(now, last) < kNeedHandshakeInterval) return;
  if (!peer.lastNeedHandshakeNs.compare_exchange_strong(last, now)) return;
  DataPathEvent e(DataPathEvent::Type::kNeedHandshake);
  e.peer = peer.id;
  events.push_back(std::move(e));
}

// ---- transmit thread ----

void DataPath::QueueTxWork(PeerId id, TxWork work) {
  {
    std::lock_guard lock(txWorkMu_);
    txWork_.emplace_back(id, work);
  }
  Wake(txWakeFd_);
}

// The transmit thread's buffers: kBatch slots, each holding one whole data message (header,
// packet, padding, tag), and the sealed messages waiting for one sendmmsg. One more slot is
// the scratch space of multicast copies.
struct DataPath::TxContext {
  std::unique_ptr<uint8_t[]> memory{new uint8_t[(kBatch + 1) * kTxSlotSize]};
  Datagram datagrams[kBatch];
  std::shared_ptr<Peer> peers[kBatch];
  bool data[kBatch];
  size_t size = 0;

  uint8_t* Slot(size_t i) { return memory.get() + i * kTxSlotSize; }
};

void DataPath::TransmitLoop() {
  pthread_setname_np(pthread_self(), "viaguard-tx");
  auto tx = std::make_unique<TxContext>();
  std::vector<DataPathEvent> events;
  bool deviceOpen = true;
  for (;;) {
    epoll_event ready[4];
    int n = epoll_wait(txEpoll_, ready, 4, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    bool device = false;
    bool work = false;
    for (int i = 0; i < n; ++i) {
      switch (ready[i].data.u32) {
        case kTagStop:
          return;
        case kTagTxWake:
          Drain(txWakeFd_);
          work = true;
          break;
        case kTagDevice:
          device = true;
          break;
      }
    }
    if (work) RunTxWork(*tx, events);
    if (device && deviceOpen && !TransmitFromDevice(*tx, events)) {
      deviceOpen = false;
      epoll_ctl(txEpoll_, EPOLL_CTL_DEL, device_->PollFd(), nullptr);
    }
    Post(events);
    unpostedHandshakes_ = 0;
  }
}

bool DataPath::TransmitFromDevice(TxContext& tx, std::vector<DataPathEvent>& events) {
  // A frame is read 14 bytes early so that its IP packet lands where Transmit wants it.
  const size_t link = ethernet_ ? kEthernetHeaderSize : 0;
  PacketSlot packets[kBatch];
  for (size_t i = 0; i < kBatch; ++i) {
    packets[i] = {tx.Slot(i) + kDataHeaderSize - link, kMaxIpPacket + link, 0};
  }
  size_t filled = 0;
  std::string reason;
  IpDevice::ReadResult result = device_->ReadBatch(packets, kBatch, &filled, &reason);
  uint64_t now = MonotonicNs();

  PeerId owners[kBatch];
  bool flood[kBatch] = {};
  size_t lengths[kBatch];
  if (ethernet_) {
    ClassifyFrames(packets, filled, owners, flood, lengths);
  } else {
    // One shared lock of AllowedIPs for the whole batch.
    std::shared_lock lock(allowed_->mutex);
    for (size_t i = 0; i < filled; ++i) {
      lengths[i] = packets[i].length;
      IpHeaderView header;
      if (!ParseIpHeader(packets[i].data, packets[i].length, &header)) {
        owners[i] = kNoPeer;
        counters_.Add(Counter::kDroppedBadInnerHeader);
        continue;
      }
      owners[i] = allowed_->table.Lookup(header.family, header.destination);
      if (owners[i] == kNoPeer) counters_.Add(Counter::kDroppedNoRouteToPeer);
    }
  }
  std::shared_ptr<Peer> peer;
  for (size_t i = 0; i < filled; ++i) {
    if (flood[i]) {
      Flood(tx, tx.Slot(i) + kDataHeaderSize, lengths[i], now, events);
      continue;
    }
    if (owners[i] == kNoPeer) continue;
    if (!peer || peer->id != owners[i]) peer = peers_.Find(owners[i]);
    if (!peer) {
      counters_.Add(Counter::kDroppedNoRouteToPeer);
      continue;
    }
    Transmit(tx, peer, tx.Slot(i), lengths[i], now, events);
  }
  FlushTx(tx);
  if (result == IpDevice::ReadResult::kClosed) {
    DataPathEvent e(DataPathEvent::Type::kClosed);
    e.reason = reason;
    events.push_back(std::move(e));
    return false;
  }
  return true;
}

void DataPath::ClassifyFrames(PacketSlot* frames, size_t count, PeerId* owners, bool* flood,
                              size_t* packetLength) {
  std::shared_lock lock(macsMu_);
  for (size_t i = 0; i < count; ++i) {
    owners[i] = kNoPeer;
    const uint8_t* frame = frames[i].data;
    NeighbourQuery query;
    switch (ClassifyFrame(frame, frames[i].length, &query)) {
      case FrameKind::kMalformed:
        counters_.Add(Counter::kDroppedBadFrame);
        continue;
      case FrameKind::kIgnored:
        continue;
      case FrameKind::kNeighbourQuery:
        AnswerNeighbour(query);
        continue;
      case FrameKind::kIp:
        break;
    }
    IpHeaderView header;
    if (!ParseIpHeader(frame + kEthernetHeaderSize, frames[i].length - kEthernetHeaderSize,
                       &header)) {
      counters_.Add(Counter::kDroppedBadInnerHeader);
      continue;
    }
    packetLength[i] = header.totalLength;  // without any Ethernet padding
    if (IsGroupMac(frame)) {
      flood[i] = IsLinkLocalMulticast(header.family, header.destination);
      if (!flood[i]) counters_.Add(Counter::kDroppedMulticast);
      continue;
    }
    auto it = peerByMac_.find(MacFromBytes(frame));
    if (it == peerByMac_.end()) {
      counters_.Add(Counter::kDroppedUnknownMac);
      continue;
    }
    owners[i] = it->second;
  }
}

void DataPath::AnswerNeighbour(const NeighbourQuery& query) {
  // Called with macsMu_ shared; OwnerOf takes the AllowedIPs and learnt-address locks.
  PeerId owner = OwnerOf(AddressKey(query.family, query.target));
  std::shared_ptr<Peer> peer = owner == kNoPeer ? nullptr : peers_.Find(owner);
  Mac mac = peer ? peer->mac.load() : 0;
  if (mac == 0) {
    counters_.Add(Counter::kNeighbourUnanswered);
    return;
  }
  uint8_t reply[kMaxNeighbourReply];
  size_t length = BuildNeighbourReply(query, mac, reply);
  counters_.Add(device_->Write(reply, length) ? Counter::kNeighbourReplies
                                               : Counter::kDroppedTunWriteFailed);
}

void DataPath::Flood(TxContext& tx, const uint8_t* packet, size_t length, uint64_t now,
                     std::vector<DataPathEvent>& events) {
  std::vector<std::shared_ptr<Peer>> everyone = peers_.All();
  // Each copy is sealed in the spare slot and sent before the next overwrites it.
  uint8_t* message = tx.Slot(kBatch);
  for (const std::shared_ptr<Peer>& peer : everyone) {
    FlushTx(tx);
    std::memcpy(message + kDataHeaderSize, packet, length);
    Transmit(tx, peer, message, length, now, events);
  }
  FlushTx(tx);
}

void DataPath::RunTxWork(TxContext& tx, std::vector<DataPathEvent>& events) {
  std::vector<std::pair<PeerId, TxWork>> work;
  {
    std::lock_guard lock(txWorkMu_);
    work.swap(txWork_);
  }
  for (const auto& [id, kind] : work) {
    std::shared_ptr<Peer> peer = peers_.Find(id);
    if (!peer) continue;
    uint64_t now = MonotonicNs();
    if (kind == TxWork::kKeepalive) {
      if (tx.size == kBatch) FlushTx(tx);
      Transmit(tx, peer, tx.Slot(tx.size), 0, now, events);
      continue;
    }
    std::deque<std::vector<uint8_t>> staged;
    {
      std::lock_guard lock(peer->mu);
      staged.swap(peer->staged);
      peer->stagedCount.store(0, std::memory_order_relaxed);
    }
    for (const std::vector<uint8_t>& packet : staged) {
      if (tx.size == kBatch) FlushTx(tx);
      uint8_t* message = tx.Slot(tx.size);
      std::memcpy(message + kDataHeaderSize, packet.data(), packet.size());
      Transmit(tx, peer, message, packet.size(), now, events);
    }
  }
  FlushTx(tx);
}

void DataPath::Stage(Peer& peer, const uint8_t* packet, size_t length) {
  // Called with peer.mu held. Drop-oldest bound as the kernel's staged_packet_queue.
  if (peer.staged.size() >= kMaxStagedPackets) {
    peer.staged.pop_front();
    counters_.Add(Counter::kDroppedStagedOverflow);
  }
  peer.staged.emplace_back(packet, packet + length);
  peer.stagedCount.store(peer.staged.size(), std::memory_order_relaxed);
}

void DataPath::Transmit(TxContext& tx, const std::shared_ptr<Peer>& peer, uint8_t* message,
                        size_t length, uint64_t now, std::vector<DataPathEvent>& events) {
  uint8_t* payload = message + kDataHeaderSize;
  KeypairPtr keypair;
  Endpoint endpoint;
  {
    std::lock_guard lock(peer->mu);
    if (!peer->endpoint.IsSet()) {
      counters_.Add(Counter::kDroppedNoEndpoint);
      return;
    }
    endpoint = peer->endpoint;
    keypair = peer->keypairs.current();
    if (!keypair || !keypair->CanSend(now)) {
      if (length > 0) Stage(*peer, payload, length);
      keypair.reset();
    }
  }
  if (!keypair) {
    RequestHandshake(*peer, now, events);
    return;
  }
  uint64_t counter = keypair->sendCounter.fetch_add(1, std::memory_order_relaxed);
  if (counter >= kRejectAfterMessages) {
    if (length > 0) {
      std::lock_guard lock(peer->mu);
      Stage(*peer, payload, length);
    }
    RequestHandshake(*peer, now, events);
    return;
  }
  // Kernel send.c keep_key_fresh: the initiator renews an old session; either side renews
  // one whose counter is running out.
  if (counter >= kRekeyAfterMessages ||
      (keypair->initiator && Elapsed(now, keypair->birthNs) >= kRekeyAfterTime)) {
    RequestHandshake(*peer, now, events);
  }
  size_t padded = PaddedLength(length, static_cast<size_t>(mtu_.load(std::memory_order_relaxed)));
  std::memset(payload + length, 0, padded - length);
  Store32(message, kMessageData);
  Store32(message + 4, keypair->remoteIndex);
  Store64(message + 8, counter);
  keypair->sender.Seal(counter, payload, padded, nullptr, 0, payload);

  size_t i = tx.size++;
  tx.datagrams[i] = {message, 0, kDataHeaderSize + padded + kDataTagSize, endpoint};
  tx.peers[i] = peer;
  tx.data[i] = length > 0;
  if (tx.size == kBatch) FlushTx(tx);
}

void DataPath::FlushTx(TxContext& tx) {
  if (tx.size == 0) return;
  {
    std::shared_lock lock(socketsMu_);
    sockets_.Send(tx.datagrams, tx.size, 0);
  }
  uint64_t now = MonotonicNs();
  for (size_t i = 0; i < tx.size; ++i) {
    if (tx.datagrams[i].length == 0) {
      counters_.Add(Counter::kDroppedSendFailed);
    } else {
      Peer& peer = *tx.peers[i];
      if (tx.datagrams[i].localRefused) ForgetLocal(peer, tx.datagrams[i].peer);
      peer.txBytes.fetch_add(tx.datagrams[i].length, std::memory_order_relaxed);
      peer.NoteAuthenticatedSent(now, tx.data[i]);
      counters_.Add(Counter::kDataPacketsSent);
    }
    tx.peers[i].reset();
  }
  tx.size = 0;
}

// ---- receive thread ----

void DataPath::ReceiveLoop() {
  pthread_setname_np(pthread_self(), "viaguard-rx");
  std::unique_ptr<uint8_t[]> memory(new uint8_t[kBatch * kRxSlotSize]);
  Datagram datagrams[kBatch];
  std::vector<DataPathEvent> events;
  uint64_t windowStart = 0;
  size_t strangersRead = 0;
  bool strangersPaused = false;
  for (;;) {
    int timeout = -1;
    if (strangersPaused) {
      uint64_t now = MonotonicNs();
      if (now - windowStart >= kStrangerWindowNs) {
        ArmStrangers(true);
        strangersPaused = false;
      } else {
        timeout = static_cast<int>((kStrangerWindowNs - (now - windowStart)) / 1000000) + 1;
      }
    }
    epoll_event ready[5];
    int n = epoll_wait(rxEpoll_, ready, 5, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    // Peers first: every ready known socket is read before any stranger's.
    for (int i = 0; i < n; ++i) {
      uint32_t tag = ready[i].data.u32;
      if (tag == kTagStop) return;
      if (tag != kTagStrangers4 && tag != kTagStrangers6) ReceiveBatch(tag, datagrams, memory.get(), events);
    }
    for (int i = 0; i < n; ++i) {
      uint32_t tag = ready[i].data.u32;
      if (tag == kTagStrangers4 || tag == kTagStrangers6) {
        if (strangersPaused) continue;
        uint64_t now = MonotonicNs();
        if (now - windowStart >= kStrangerWindowNs) {
          windowStart = now;
          strangersRead = 0;
        }
        strangersRead += ReceiveBatch(tag, datagrams, memory.get(), events);
        if (strangersRead >= kStrangerDatagramsPerWindow) {
          ArmStrangers(false);
          strangersPaused = true;
        }
      }
    }
    Post(events);
    unpostedHandshakes_ = 0;
  }
}

void DataPath::ArmStrangers(bool armed) {
  std::shared_lock lock(socketsMu_);
  for (auto [fd, tag] : {std::pair<int, uint32_t>{sockets_.StrangerFd4(), kTagStrangers4},
                         std::pair<int, uint32_t>{sockets_.StrangerFd6(), kTagStrangers6}}) {
    if (fd < 0) continue;
    epoll_event ev{};
    ev.events = armed ? static_cast<uint32_t>(EPOLLIN) : 0u;
    ev.data.u32 = tag;
    epoll_ctl(rxEpoll_, EPOLL_CTL_MOD, fd, &ev);
  }
}

size_t DataPath::ReceiveBatch(uint32_t tag, Datagram* datagrams, uint8_t* memory,
                              std::vector<DataPathEvent>& events) {
  for (size_t j = 0; j < kBatch; ++j) {
    datagrams[j] = {memory + j * kRxSlotSize, kRxSlotSize, 0, Endpoint{}};
  }
  size_t count;
  {
    std::shared_lock lock(socketsMu_);
    int fd = -1;
    switch (tag) {
      case kTagIpv4: fd = sockets_.Fd4(); break;
      case kTagIpv6: fd = sockets_.Fd6(); break;
      case kTagStrangers4: fd = sockets_.StrangerFd4(); break;
      case kTagStrangers6: fd = sockets_.StrangerFd6(); break;
    }
    // After a rebind the event may name a closed socket: the new one has nothing yet.
    count = fd < 0 ? 0 : sockets_.Receive(fd, datagrams, kBatch);
  }
  uint64_t now = MonotonicNs();
  for (size_t j = 0; j < count; ++j) {
    Datagram& d = datagrams[j];
    if (d.segmentSize == 0) {
      ReceiveDatagram(d, now, events);
      continue;
    }
    for (size_t offset = 0; offset < d.length; offset += d.segmentSize) {
      size_t length = std::min(d.segmentSize, d.length - offset);
      Datagram segment{d.data + offset, length, length, d.peer};
      ReceiveDatagram(segment, now, events);
    }
  }
  return count;
}

DataPath::SourceResult DataPath::CheckSource(Peer& peer, const IpHeaderView& header,
                                             const uint8_t* out, size_t outLength,
                                             std::vector<DataPathEvent>& events) {
  SourceCheck mode = sourceCheck_.load(std::memory_order_relaxed);
  AddressKey source(header.family, header.source);
  // Route mode learns the link-local addresses peers speak from (routing daemons' next hops):
  // under `off` the latest speaker owns one; under `route` the first, unless AllowedIPs give
  // it to another peer; any other peer using it is spoofing.
  bool learnable = ethernet_ && IsLinkLocalUnicast(header.family, header.source);
  if (mode == SourceCheck::kOff) {
    if (learnable) Learn(source, peer.id, events);
    return SourceResult::kAccept;
  }
  PeerId owner;
  {
    std::shared_lock lock(allowed_->mutex);
    owner = allowed_->table.Lookup(header.family, header.source);
  }
  if (owner == peer.id) return SourceResult::kAccept;
  if (mode == SourceCheck::kAllowedIps) return SourceResult::kDrop;
  // MLD reports and the like, sent before an address exists: nobody's address is claimed.
  if (ethernet_ && IsUnspecified(header.family, header.source) &&
      IsLinkLocalMulticast(header.family, header.destination)) {
    return SourceResult::kAccept;
  }
  if (learnable) {
    PeerId known = learnt_.Lookup(source);
    if (owner != kNoPeer || (known != kNoPeer && known != peer.id)) return SourceResult::kDrop;
    Learn(source, peer.id, events);
    return SourceResult::kAccept;
  }
  AddressKey destination(header.family, header.destination);
  switch (verdicts_.Lookup(source, destination, peer.id)) {
    case SourceVerdicts::Verdict::kAccept:
      return SourceResult::kAccept;
    case SourceVerdicts::Verdict::kReject:
      return SourceResult::kDrop;
    case SourceVerdicts::Verdict::kUnknown:
      break;
  }
  uint64_t generation = verdicts_.Generation();
  switch (verdicts_.Pend(source, destination, peer.id, out, outLength)) {
    case SourceVerdicts::PendResult::kAsk: {
      counters_.Add(Counter::kSourceLookups);
      DataPathEvent e(DataPathEvent::Type::kResolveSource);
      e.peer = peer.id;
      e.address = source;
      e.destination = destination;
      e.generation = generation;
      events.push_back(std::move(e));
      break;
    }
    case SourceVerdicts::PendResult::kQueued:
      break;
    case SourceVerdicts::PendResult::kFull:
      counters_.Add(Counter::kDroppedSourcePending);
      break;
  }
  return SourceResult::kHeld;
}

void DataPath::Learn(const AddressKey& address, PeerId peer, std::vector<DataPathEvent>& events) {
  LearntAddresses::LearnResult result = learnt_.Learn(address, peer);
  if (result != LearntAddresses::LearnResult::kNew &&
      result != LearntAddresses::LearnResult::kMoved) {
    return;
  }
  DataPathEvent e(DataPathEvent::Type::kAddressLearnt);
  e.peer = peer;
  e.address = address;
  events.push_back(std::move(e));
}

bool DataPath::VerifyMac1(const uint8_t* message, size_t length) {
  // mac1 = MAC(HASH("mac1----" || Spub_receiver), msg up to mac1), in the last 32 bytes'
  // first half (whitepaper §5.4.4).
  uint8_t key[32];
  {
    std::lock_guard lock(mac1Mu_);
    if (!hasMac1Key_) return false;
    std::memcpy(key, mac1Key_, sizeof key);
  }
  size_t offset = length - 2 * kMacSize;
  uint8_t mac[kMacSize];
  Blake2s(mac, sizeof mac, key, sizeof key, message, offset);
  return CRYPTO_memcmp(mac, message + offset, kMacSize) == 0;
}

void DataPath::ReceiveDatagram(Datagram& datagram, uint64_t now,
                               std::vector<DataPathEvent>& events) {
  const uint8_t* p = datagram.data;
  size_t length = datagram.length;
  if (length < 4) {
    counters_.Add(Counter::kDroppedGarbage);
    return;
  }
  // The type is a little-endian u32: the three reserved bytes must be zero.
  uint32_t type = Load32(p);
  size_t expected;
  switch (type) {
    case kMessageHandshakeInitiation:
      expected = kHandshakeInitiationSize;
      break;
    case kMessageHandshakeResponse:
      expected = kHandshakeResponseSize;
      break;
    case kMessageHandshakeCookie:
      expected = kHandshakeCookieSize;
      break;
    case kMessageData:
      if (length < kDataMinimumSize) {
        counters_.Add(Counter::kDroppedGarbage);
        return;
      }
      ReceiveData(datagram, now, events);
      return;
    default:
      counters_.Add(Counter::kDroppedUnknownType);
      return;
  }
  if (length != expected) {
    counters_.Add(Counter::kDroppedGarbage);
    return;
  }
  // Before the MAC: under load a flooding source costs one lookup.
  size_t queued = queuedHandshakes_.load(std::memory_order_relaxed) + unpostedHandshakes_;
  if (!handshakeLimiter_.Allow(datagram.peer, queued, now)) {
    counters_.Add(Counter::kDroppedHandshakeRateLimited);
    return;
  }
  if (type != kMessageHandshakeCookie && !VerifyMac1(p, length)) {
    counters_.Add(Counter::kDroppedBadMac1);
    return;
  }
  counters_.Add(Counter::kHandshakeMessagesReceived);
  DataPathEvent e(DataPathEvent::Type::kHandshake);
  e.endpoint = datagram.peer;
  e.message.assign(p, p + length);
  e.underLoad = handshakeLimiter_.UnderLoad(now);
  events.push_back(std::move(e));
  ++unpostedHandshakes_;
}

void DataPath::ReceiveData(Datagram& datagram, uint64_t now, std::vector<DataPathEvent>& events) {
  uint8_t* p = datagram.data;
  size_t length = datagram.length;
  PeerTable::IndexEntry entry;
  if (!peers_.FindByIndex(Load32(p + 4), &entry)) {
    counters_.Add(Counter::kDroppedUnknownReceiverIndex);
    return;
  }
  Keypair& keypair = *entry.keypair;
  Peer& peer = *entry.peer;
  uint64_t counter = Load64(p + 8);
  if (keypair.Expired(now) || counter >= kRejectAfterMessages) {
    counters_.Add(Counter::kDroppedExpiredKey);
    return;
  }
  if (keypair.TooOld(counter)) {
    counters_.Add(Counter::kDroppedReplayed);
    return;
  }
  uint8_t* payload = p + kDataHeaderSize;
  if (!keypair.receiver.Open(counter, payload, length - kDataHeaderSize, nullptr, 0, payload)) {
    counters_.Add(Counter::kDroppedAuthFailed);
    return;
  }
  if (!keypair.replay.Accept(counter)) {
    counters_.Add(Counter::kDroppedReplayed);
    return;
  }
  if (!keypair.receivedAny || counter > keypair.greatestReceived) {
    keypair.greatestReceived = counter;
    keypair.receivedAny = true;
  }
  counters_.Add(Counter::kDataPacketsReceived);
  peer.rxBytes.fetch_add(length, std::memory_order_relaxed);

  // Roaming (whitepaper §2.1): the peer's endpoint becomes the source of its latest
  // authenticated packet.
  bool roamed = false;
  bool confirming;
  bool lastMinute = false;
  {
    std::lock_guard lock(peer.mu);
    if (peer.endpoint != datagram.peer) {
      peer.endpoint = datagram.peer;
      roamed = true;
    } else if (!peer.endpoint.SameLocal(datagram.peer)) {
      peer.endpoint = datagram.peer;  // same peer address, reached at another of ours
    }
    confirming = peer.keypairs.next().get() == &keypair;
    // Kernel receive.c keep_key_fresh: an initiator whose session nears REJECT_AFTER_TIME asks
    // for a new one once, before the peer (who never initiates for it) runs out. A keypair
    // being confirmed here is a responder's, so it never qualifies.
    const KeypairPtr& current = peer.keypairs.current();
    if (!confirming && current && current->initiator && !peer.lastMinuteHandshakeSent &&
        Elapsed(now, current->birthNs) >= kRejectAfterTime - kKeepaliveTimeout - kRekeyTimeout) {
      peer.lastMinuteHandshakeSent = true;
      lastMinute = true;
    }
  }
  if (roamed) {
    UpdateSteering();
    DataPathEvent e(DataPathEvent::Type::kEndpointChanged);
    e.peer = peer.id;
    e.endpoint = datagram.peer;
    events.push_back(std::move(e));
  }
  if (confirming && peers_.ReceivedWith(peer, &keypair)) {
    DataPathEvent e(DataPathEvent::Type::kKeypairConfirmed);
    e.peer = peer.id;
    e.localIndex = keypair.localIndex;
    events.push_back(std::move(e));
    QueueTxWork(peer.id, TxWork::kFlushStaged);
  }
  if (lastMinute) RequestHandshake(peer, now, events);
  peer.NoteAuthenticatedReceived(now);

  size_t plainLength = length - kDataMinimumSize;
  if (plainLength == 0) return;  // keepalive

  IpHeaderView header;
  if (!ParseIpHeader(payload, plainLength, &header)) {
    counters_.Add(Counter::kDroppedBadInnerHeader);
    return;
  }
  // On a TAP device the Ethernet header goes where the data message header was.
  uint8_t* out = payload;
  size_t outLength = header.totalLength;
  if (ethernet_) {
    out -= kEthernetHeaderSize;
    outLength += kEthernetHeaderSize;
    WriteEthernetHeader(out, header.family, header.destination, deviceMac_.load(),
                        peer.mac.load(std::memory_order_relaxed));
  }
  switch (CheckSource(peer, header, out, outLength, events)) {
    case SourceResult::kDrop:
      DropForSource(peer, 1);
      return;
    case SourceResult::kHeld:
      return;
    case SourceResult::kAccept:
      break;
  }
  if (!device_->Write(out, outLength)) {
    counters_.Add(Counter::kDroppedTunWriteFailed);
    return;
  }
  peer.lastDataReceivedNs.store(now, std::memory_order_relaxed);
}

}  // namespace viaguard
