#include "datapath.h"

#include <openssl/crypto.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "clock.h"
#include "datapath_internal.h"

namespace viaguard {
namespace {

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

}  // namespace


DataPlane::DataPlane(std::unique_ptr<IpDevice> device, int mtu,
                   std::shared_ptr<SharedAllowedIps> allowedIps, std::function<void()> notify,
                   size_t cryptoThreads, size_t queues)
    : device_(std::move(device)),
      name_(device_->Name()),
      offloads_(device_->OffloadDescription()),
      notify_(std::move(notify)),
      mtu_(mtu),
      ethernet_(device_->Ethernet()),
      allowed_(std::move(allowedIps)) {
  // A bad VIAGUARD_AEAD fails here, at start, not on the first packet.
  AvailableAeadPaths();
  crypto_ = std::make_unique<CryptoPool>(cryptoThreads);
  cryptoThreads_ = crypto_->Threads();
  const size_t linkHeader = ethernet_ ? kEthernetHeaderSize : 0;
  unreachable_ = std::make_unique<UnreachableSender>(*device_, counters_, linkHeader);
  queues_ = std::make_unique<DeviceQueues>(*device_, queues, linkHeader);
  device_->SetMtu(mtu);
  deviceMac_.store(device_->HardwareAddress());
  if (device_->TcpOffload()) deviceWriter_ = std::make_unique<DeviceWriter>(*queues_, counters_);
  for (size_t lane = 0; lane < queues_->Count(); ++lane) {
    auto rx = std::make_unique<RxContext>();
    if (deviceWriter_) {
      rx->coalescer = std::make_unique<GroCoalescer>(linkHeader, true, device_->UdpOffload(),
                                                     deviceWriter_.get());
    }
    rxLanes_.push_back(std::move(rx));
  }
  sockets_.SetLanes(queues_->Count());
  try {
    stopFd_ = MakeEventFd();
    txWakeFd_ = MakeEventFd();
    for (size_t q = 0; q < queues_->Count(); ++q) {
      txEpolls_.push_back(MakeEpoll());
      Watch(txEpolls_[q], queues_->At(q).PollFd(), kTagDevice);
      Watch(txEpolls_[q], stopFd_, kTagStop);
      rxEpolls_.push_back(MakeEpoll());
      Watch(rxEpolls_[q], stopFd_, kTagStop);
    }
    Watch(txEpolls_[0], txWakeFd_, kTagTxWake);
    sourceRoutes_.Open();
  } catch (...) {
    for (int fd : {stopFd_, txWakeFd_}) {
      if (fd >= 0) close(fd);
    }
    for (int fd : txEpolls_) close(fd);
    for (int fd : rxEpolls_) close(fd);
    sourceRoutes_.Close();
    throw;
  }
  try {
    for (size_t q = 0; q < queues_->Count(); ++q) {
      txThreads_.emplace_back(&DataPlane::TransmitLoop, this, q);
      rxThreads_.emplace_back(&DataPlane::ReceiveLoop, this, q);
    }
  } catch (...) {
    Close();  // joins whichever thread did start
    throw;
  }
}

DataPlane::~DataPlane() { Close(); }

void DataPlane::Close() {
  if (closed_) return;
  closed_ = true;
  Wake(stopFd_);
  for (std::vector<std::thread>* threads : {&txThreads_, &rxThreads_}) {
    for (std::thread& thread : *threads) {
      if (thread.joinable()) thread.join();
    }
  }
  crypto_.reset();
  unreachable_.reset();
  for (int fd : {stopFd_, txWakeFd_}) close(fd);
  for (int fd : txEpolls_) close(fd);
  for (int fd : rxEpolls_) close(fd);
  sourceRoutes_.Close();
  {
    std::unique_lock lock(socketsMu_);
    sockets_.Close();
  }
  rxLanes_.clear();
  deviceWriter_.reset();
  queues_.reset();
  device_.reset();
}

void DataPlane::Wake(int eventFd) {
  uint64_t one = 1;
  while (write(eventFd, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

// ---- configuration (control plane thread) ----

uint16_t DataPlane::Bind(uint16_t port) {
  std::unique_lock lock(socketsMu_);
  if (sockets_.IsOpen() && port != 0 && port == sockets_.Port()) return port;
  uint16_t bound = sockets_.Bind(port);
  // The previous sockets are closed, which removes them from the epoll sets.
  for (size_t lane = 0; lane < rxEpolls_.size(); ++lane) {
    if (sockets_.LaneFd4(lane) >= 0) Watch(rxEpolls_[lane], sockets_.LaneFd4(lane), kTagIpv4);
    if (sockets_.LaneFd6(lane) >= 0) Watch(rxEpolls_[lane], sockets_.LaneFd6(lane), kTagIpv6);
  }
  if (sockets_.StrangerFd4() >= 0) Watch(rxEpolls_[0], sockets_.StrangerFd4(), kTagStrangers4);
  if (sockets_.StrangerFd6() >= 0) Watch(rxEpolls_[0], sockets_.StrangerFd6(), kTagStrangers6);
  lock.unlock();
  UpdateSteering();
  return bound;
}

void DataPlane::UpdateSteering() {
  std::lock_guard steering(steeringMu_);
  if (steeringHolds_ > 0) {
    steeringDue_ = true;
    return;
  }
  UpdateSteeringLocked();
}

void DataPlane::HoldSteering() {
  std::lock_guard steering(steeringMu_);
  ++steeringHolds_;
}

void DataPlane::ReleaseSteering() {
  std::lock_guard steering(steeringMu_);
  if (steeringHolds_ == 0 || --steeringHolds_ > 0 || !steeringDue_) return;
  steeringDue_ = false;
  UpdateSteeringLocked();
}

void DataPlane::UpdateSteeringLocked() {
  std::vector<Endpoint> endpoints;
  peers_.ForEach([&endpoints](Peer& peer) {
    std::lock_guard lock(peer.mu);
    if (peer.endpoint.IsSet()) endpoints.push_back(peer.endpoint);
  });
  std::shared_lock lock(socketsMu_);
  sockets_.SetKnownEndpoints(endpoints);
}

uint64_t DataPlane::Count(Counter c) const {
  if (c != Counter::kDroppedByKernel) return counters_.Get(c);
  std::shared_lock lock(socketsMu_);
  return sockets_.KernelDrops();
}

uint16_t DataPlane::Port() const {
  std::shared_lock lock(socketsMu_);
  return sockets_.Port();
}

void DataPlane::SetFwmark(uint32_t mark) {
  std::unique_lock lock(socketsMu_);
  sockets_.SetFwmark(mark);
  fwmark_.store(mark, std::memory_order_relaxed);
}

void DataPlane::SetMac1Key(const uint8_t* key) {
  std::lock_guard lock(mac1Mu_);
  hasMac1Key_ = key != nullptr;
  if (key) {
    std::memcpy(mac1Key_, key, sizeof mac1Key_);
  } else {
    OPENSSL_cleanse(mac1Key_, sizeof mac1Key_);
  }
}

void DataPlane::SetMtu(int mtu) {
  device_->SetMtu(mtu);
  mtu_.store(mtu);
}

void DataPlane::RefreshDeviceMac() { deviceMac_.store(device_->HardwareAddress()); }

bool DataPlane::AddPeer(PeerId id) { return peers_.Add(id); }

bool DataPlane::RemovePeer(PeerId id) {
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

std::vector<std::pair<PeerId, Endpoint>> DataPlane::LocalAddresses() const {
  std::vector<std::pair<PeerId, Endpoint>> out;
  peers_.ForEach([&out](Peer& p) {
    std::lock_guard lock(p.mu);
    if (p.endpoint.IsSet() && p.endpoint.hasLocal) out.emplace_back(p.id, p.endpoint);
  });
  return out;
}

bool DataPlane::ForgetLocalAddress(PeerId id, const Endpoint& seen) {
  std::shared_ptr<Peer> peer = peers_.Find(id);
  if (!peer) return false;
  std::lock_guard lock(peer->mu);
  if (peer->endpoint != seen || !peer->endpoint.SameLocal(seen)) return false;
  peer->endpoint.hasLocal = false;
  return true;
}

bool DataPlane::SetEndpoint(PeerId id, const Endpoint& endpoint) {
  std::shared_ptr<Peer> peer = peers_.Find(id);
  if (!peer) return false;
  {
    std::lock_guard lock(peer->mu);
    peer->endpoint = endpoint;
    peer->sourceConfirmedAt = 0;
  }
  UpdateSteering();
  return true;
}

bool DataPlane::ClearEndpointSource(PeerId id) {
  std::shared_ptr<Peer> peer = peers_.Find(id);
  if (!peer) return false;
  std::lock_guard lock(peer->mu);
  peer->endpoint.hasLocal = false;
  return true;
}

void DataPlane::InstallKeypair(PeerId id, const KeypairParams& params) {
  peers_.Install(id, std::make_shared<Keypair>(params));
  // An initiator's keypair is usable at once: send what waited for it.
  if (params.initiator) QueueTxWork(id, TxWork::kFlushStaged);
}

bool DataPlane::RemoveKeypair(uint32_t localIndex) { return peers_.RemoveKeypair(localIndex); }

bool DataPlane::ClearKeypairs(PeerId id) { return peers_.ClearKeypairs(id); }

KeypairSlotIndices DataPlane::Keypairs(PeerId id) const {
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

bool DataPlane::HasKeypairIndex(uint32_t localIndex) const {
  PeerTable::IndexEntry entry;
  return peers_.FindByIndex(localIndex, &entry);
}

std::vector<PeerStats> DataPlane::Stats() const {
  std::vector<PeerStats> out;
  peers_.ForEach([&out](Peer& p) {
    auto get = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    out.push_back({p.id, get(p.rxBytes), get(p.txBytes), get(p.lastDataSentNs),
                   get(p.lastDataReceivedNs), get(p.lastAuthSentNs), get(p.lastAuthReceivedNs),
                   get(p.firstDataSentSinceReceiveNs), get(p.firstDataReceivedSinceSendNs),
                   get(p.sourceCheckDrops), get(p.stagedCount)});
  });
  return out;
}

// ---- events ----

void DataPlane::Post(std::vector<DataPlaneEvent>& events) {
  if (events.empty()) return;
  bool wake;
  {
    std::lock_guard lock(eventsMu_);
    for (DataPlaneEvent& e : events) {
      if (e.type == DataPlaneEvent::Type::kHandshake) {
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

std::vector<DataPlaneEvent> DataPlane::TakeEvents() {
  std::lock_guard lock(eventsMu_);
  std::vector<DataPlaneEvent> out;
  out.swap(events_);
  queuedHandshakes_.store(0, std::memory_order_relaxed);
  notifyPending_ = false;
  return out;
}

}  // namespace viaguard
