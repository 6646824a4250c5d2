// The transmit side: the control plane's handshake and keepalive sends, the transmit thread's
// device reads (IP packets routed by AllowedIPs), sealing, staging until a session exists, and
// the batched sendmmsg flush.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "clock.h"
#include "datapath.h"
#include "datapath_internal.h"

namespace viaguard {
namespace {

constexpr uint64_t kNeedHandshakeInterval = kNsPerSecond;  // at most one event per peer per second

void Store32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void Store64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

void Drain(int eventFd) {
  uint64_t value;
  while (read(eventFd, &value, sizeof value) < 0 && errno == EINTR) {
  }
}

}  // namespace

bool DataPlane::SendHandshake(PeerId id, const uint8_t* message, size_t length) {
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

bool DataPlane::ConfirmSource(Peer& peer, const Endpoint& endpoint, uint64_t generation) {
  const bool routed = sourceRoutes_.StillRouted(endpoint, fwmark_.load(std::memory_order_relaxed));
  std::lock_guard lock(peer.mu);
  if (peer.endpoint != endpoint || !peer.endpoint.SameLocal(endpoint)) return routed;  // moved meanwhile
  if (!routed) peer.endpoint.hasLocal = false;
  peer.sourceConfirmedAt = generation;
  return routed;
}

void DataPlane::ForgetLocal(Peer& peer, const Endpoint& sentTo) {
  std::lock_guard lock(peer.mu);
  if (peer.endpoint == sentTo) peer.endpoint.hasLocal = false;
}

bool DataPlane::SendTo(const Endpoint& endpoint, const uint8_t* message, size_t length) {
  Datagram datagram{const_cast<uint8_t*>(message), length, length, endpoint};
  std::shared_lock lock(socketsMu_);
  // The control plane's thread never blocks on a full socket buffer.
  return sockets_.Send(&datagram, 1, MSG_DONTWAIT) == 1;
}

bool DataPlane::SendKeepalive(PeerId id) {
  if (!peers_.Find(id)) return false;
  QueueTxWork(id, TxWork::kKeepalive);
  return true;
}

bool DataPlane::DropStaged(PeerId id) {
  std::shared_ptr<Peer> peer = peers_.Find(id);
  if (!peer) return false;
  std::lock_guard lock(peer->mu);
  peer->staged.clear();
  peer->stagedCount.store(0, std::memory_order_relaxed);
  return true;
}

void DataPlane::RequestHandshake(Peer& peer, uint64_t now, std::vector<DataPlaneEvent>& events) {
  uint64_t last = peer.lastNeedHandshakeNs.load(std::memory_order_relaxed);
  if (last != 0 && Elapsed(now, last) < kNeedHandshakeInterval) return;
  if (!peer.lastNeedHandshakeNs.compare_exchange_strong(last, now)) return;
  DataPlaneEvent e(DataPlaneEvent::Type::kNeedHandshake);
  e.peer = peer.id;
  events.push_back(std::move(e));
}

// ---- transmit thread ----

void DataPlane::QueueTxWork(PeerId id, TxWork work) {
  {
    std::lock_guard lock(txWorkMu_);
    txWork_.emplace_back(id, work);
  }
  Wake(txWakeFd_);
}

void DataPlane::TransmitLoop(size_t q) {
  NameThread("viaguard-tx", q);
  auto tx = std::make_unique<TxContext>();
  std::vector<DataPlaneEvent> events;
  IpDevice& device = queues_->At(q);
  bool deviceOpen = true;
  for (;;) {
    epoll_event ready[4];
    int n = epoll_wait(txEpolls_[q], ready, 4, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    bool readable = false;
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
          readable = true;
          break;
      }
    }
    if (work) RunTxWork(*tx, events);
    // A super-packet cut into more packets than one batch holds goes on at once.
    while (readable && deviceOpen) {
      if (!TransmitFromDevice(q, *tx, events)) {
        deviceOpen = false;
        epoll_ctl(txEpolls_[q], EPOLL_CTL_DEL, device.PollFd(), nullptr);
      }
      readable = device.Pending();
    }
    Post(events);
  }
}

bool DataPlane::TransmitFromDevice(size_t q, TxContext& tx, std::vector<DataPlaneEvent>& events) {
  // A frame is read 14 bytes early so that its IP packet lands where Transmit wants it.
  const size_t link = ethernet_ ? kEthernetHeaderSize : 0;
  PacketSlot packets[kBatch];
  for (size_t i = 0; i < kBatch; ++i) {
    packets[i] = {tx.Slot(i) + kDataHeaderSize - link, kMaxIpPacket + link, 0};
  }
  size_t filled = 0;
  size_t refused = 0;
  std::string reason;
  IpDevice::ReadResult result = queues_->At(q).ReadBatch(packets, kBatch, &filled, &refused, &reason);
  tx.sourceGeneration = sourceRoutes_.Generation();
  if (refused > 0) counters_.Add(Counter::kDroppedBadOffload, refused);
  uint64_t now = MonotonicNs();

  PeerId owners[kBatch];
  bool flood[kBatch] = {};
  size_t lengths[kBatch];  // 0 for what is no IP packet (nothing to answer)
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
        lengths[i] = 0;
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
    uint8_t* packet = tx.Slot(i) + kDataHeaderSize;
    if (owners[i] == kNoPeer) {
      if (lengths[i] > 0) AnswerUnreachable(packet, lengths[i], now);
      continue;
    }
    if (!peer || peer->id != owners[i]) peer = peers_.Find(owners[i]);
    if (!peer) {
      counters_.Add(Counter::kDroppedNoRouteToPeer);
      AnswerUnreachable(packet, lengths[i], now);
      continue;
    }
    if (!Transmit(tx, peer, tx.Slot(i), lengths[i], now, events)) {
      AnswerUnreachable(packet, lengths[i], now);
    }
  }
  FlushTx(tx);
  if (result == IpDevice::ReadResult::kClosed) {
    if (q != 0) return false;  // every queue ends with the device: one event tells it
    DataPlaneEvent e(DataPlaneEvent::Type::kClosed);
    e.reason = reason;
    events.push_back(std::move(e));
    return false;
  }
  return true;
}

void DataPlane::RunTxWork(TxContext& tx, std::vector<DataPlaneEvent>& events) {
  std::vector<std::pair<PeerId, TxWork>> work;
  {
    std::lock_guard lock(txWorkMu_);
    work.swap(txWork_);
  }
  tx.sourceGeneration = sourceRoutes_.Generation();
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

void DataPlane::Stage(Peer& peer, const uint8_t* packet, size_t length) {
  // Called with peer.mu held. Drop-oldest bound as the kernel's staged_packet_queue.
  if (peer.staged.size() >= kMaxStagedPackets) {
    peer.staged.pop_front();
    counters_.Add(Counter::kDroppedStagedOverflow);
  }
  peer.staged.emplace_back(packet, packet + length);
  peer.stagedCount.store(peer.staged.size(), std::memory_order_relaxed);
}

size_t DataPlane::PaddingMtu(const uint8_t* packet, size_t length) const {
  size_t mtu = static_cast<size_t>(mtu_.load(std::memory_order_relaxed));
  IpHeaderView header;
  if (routeMtus_.Count() == 0 || !ParseIpHeader(packet, length, &header)) return mtu;
  const uint32_t routeMtu = routeMtus_.Lookup(header.family, header.destination);
  return routeMtu != 0 && routeMtu < mtu ? routeMtu : mtu;
}

bool DataPlane::Transmit(TxContext& tx, const std::shared_ptr<Peer>& peer, uint8_t* message,
                        size_t length, uint64_t now, std::vector<DataPlaneEvent>& events) {
  uint8_t* payload = message + kDataHeaderSize;
  KeypairPtr keypair;
  Endpoint endpoint;
  bool confirmSource;
  {
    std::lock_guard lock(peer->mu);
    if (!peer->endpoint.IsSet()) {
      counters_.Add(Counter::kDroppedNoEndpoint);
      return false;
    }
    endpoint = peer->endpoint;
    confirmSource = endpoint.hasLocal && peer->sourceConfirmedAt != tx.sourceGeneration;
    keypair = peer->keypairs.current();
    if (!keypair || !keypair->CanSend(now)) {
      if (length > 0) Stage(*peer, payload, length);
      keypair.reset();
    }
  }
  if (confirmSource && !ConfirmSource(*peer, endpoint, tx.sourceGeneration)) endpoint.hasLocal = false;
  if (!keypair) {
    RequestHandshake(*peer, now, events);
    return true;
  }
  uint64_t counter = keypair->sendCounter.fetch_add(1, std::memory_order_relaxed);
  if (counter >= kRejectAfterMessages) {
    if (length > 0) {
      std::lock_guard lock(peer->mu);
      Stage(*peer, payload, length);
    }
    RequestHandshake(*peer, now, events);
    return true;
  }
  // Kernel send.c keep_key_fresh: the initiator renews an old session; either side renews
  // one whose counter is running out.
  if (counter >= rekeyAfterMessages_.load(std::memory_order_relaxed) ||
      (keypair->initiator && Elapsed(now, keypair->birthNs) >= kRekeyAfterTime)) {
    RequestHandshake(*peer, now, events);
  }
  size_t padded = PaddedLength(length, PaddingMtu(payload, length));
  std::memset(payload + length, 0, padded - length);
  Store32(message, kMessageData);
  Store32(message + 4, keypair->remoteIndex);
  Store64(message + 8, counter);

  size_t i = tx.size++;
  tx.datagrams[i] = {message, 0, kDataHeaderSize + padded + kDataTagSize, endpoint};
  tx.seals[i] = {counter, payload, padded, payload};
  tx.keypairs[i] = std::move(keypair);
  tx.peers[i] = peer;
  tx.data[i] = length > 0;
  if (tx.size == kBatch) FlushTx(tx);
  return true;
}

void DataPlane::SealTx(void* context, size_t begin, size_t end) {
  TxContext& tx = *static_cast<TxContext*>(context);
  // Runs of one keypair go through the AEAD together.
  for (size_t i = begin; i < end;) {
    size_t run = i + 1;
    while (run < end && tx.keypairs[run] == tx.keypairs[i]) ++run;
    tx.keypairs[i]->sender.SealMany(&tx.seals[i], run - i);
    i = run;
  }
}

void DataPlane::FlushTx(TxContext& tx) {
  if (tx.size == 0) return;
  crypto_->Run(tx.size, &DataPlane::SealTx, &tx);
  {
    std::shared_lock lock(socketsMu_);
    sockets_.Send(tx.datagrams, tx.size, 0);
  }
  // Shared counters and a peer's statistics are written once per batch and per run of the
  // peer's messages, not per packet: transmit threads on many cores would share their lines.
  uint64_t now = MonotonicNs();
  uint64_t sent = 0;
  for (size_t i = 0; i < tx.size;) {
    Peer& peer = *tx.peers[i];
    uint64_t bytes = 0;  // of the run's accepted datagrams (none is empty)
    bool data = false;
    size_t run = i;
    for (; run < tx.size && tx.peers[run].get() == &peer; ++run) {
      const Datagram& datagram = tx.datagrams[run];
      if (datagram.length == 0) {
        counters_.Add(datagram.error == EMSGSIZE ? Counter::kDroppedOverPathMtu
                                                 : Counter::kDroppedSendFailed);
        continue;
      }
      if (datagram.localRefused) ForgetLocal(peer, datagram.peer);
      bytes += datagram.length;
      data = data || tx.data[run];
      ++sent;
    }
    if (bytes > 0) {
      peer.txBytes.fetch_add(bytes, std::memory_order_relaxed);
      peer.NoteAuthenticatedSent(now, data);
    }
    for (; i < run; ++i) {
      tx.peers[i].reset();
      tx.keypairs[i].reset();
    }
  }
  if (sent > 0) counters_.Add(Counter::kDataPacketsSent, sent);
  tx.size = 0;
}

}  // namespace viaguard
