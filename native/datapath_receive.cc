// The receive side: datagrams read in batches and dispatched by type (handshakes to the
// control plane after the mac1 check), data messages decrypted, then consumed: the source
// check and the write to the device.
#include <openssl/crypto.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "blake2s.h"
#include "clock.h"
#include "datapath.h"
#include "datapath_internal.h"

namespace viaguard {
namespace {

constexpr size_t kRxSlotSize = 65536;

uint32_t Load32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
uint64_t Load64(const uint8_t* p) {
  return static_cast<uint64_t>(Load32(p)) | static_cast<uint64_t>(Load32(p + 4)) << 32;
}

}  // namespace

void DataPlane::ReceiveLoop(size_t lane) {
  NameThread("viaguard-rx", lane);
  RxContext& rx = *rxLanes_[lane];
  std::unique_ptr<uint8_t[]> memory(new uint8_t[kBatch * kRxSlotSize]);
  Datagram datagrams[kBatch];
  std::vector<DataPlaneEvent> events;
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
    int n = epoll_wait(rxEpolls_[lane], ready, 5, timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    // Peers first: every ready known socket is read before any stranger's.
    for (int i = 0; i < n; ++i) {
      uint32_t tag = ready[i].data.u32;
      if (tag == kTagStop) return;
      if (tag != kTagStrangers4 && tag != kTagStrangers6) ReadAndReceive(lane, tag, datagrams, memory.get(), events);
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
        strangersRead += ReadAndReceive(lane, tag, datagrams, memory.get(), events);
        if (strangersRead >= kStrangerDatagramsPerWindow) {
          ArmStrangers(false);
          strangersPaused = true;
        }
      }
    }
    Post(events);
    rx.unpostedHandshakes = 0;
  }
}

void DataPlane::ReceiveBatch(Datagram* datagrams, size_t count) {
  std::vector<DataPlaneEvent> events;
  RxContext& rx = *rxLanes_[0];
  ReceiveBatch(rx, datagrams, count, events);
  Post(events);
  rx.unpostedHandshakes = 0;
}

void DataPlane::ArmStrangers(bool armed) {
  std::shared_lock lock(socketsMu_);
  for (auto [fd, tag] : {std::pair<int, uint32_t>{sockets_.StrangerFd4(), kTagStrangers4},
                         std::pair<int, uint32_t>{sockets_.StrangerFd6(), kTagStrangers6}}) {
    if (fd < 0) continue;
    epoll_event ev{};
    ev.events = armed ? static_cast<uint32_t>(EPOLLIN) : 0u;
    ev.data.u32 = tag;
    epoll_ctl(rxEpolls_[0], EPOLL_CTL_MOD, fd, &ev);
  }
}

size_t DataPlane::ReadAndReceive(size_t lane, uint32_t tag, Datagram* datagrams, uint8_t* memory,
                                std::vector<DataPlaneEvent>& events) {
  for (size_t j = 0; j < kBatch; ++j) {
    datagrams[j] = {memory + j * kRxSlotSize, kRxSlotSize, 0, Endpoint{}};
  }
  size_t count;
  {
    std::shared_lock lock(socketsMu_);
    int fd = -1;
    switch (tag) {
      case kTagIpv4: fd = sockets_.LaneFd4(lane); break;
      case kTagIpv6: fd = sockets_.LaneFd6(lane); break;
      case kTagStrangers4: fd = sockets_.StrangerFd4(); break;
      case kTagStrangers6: fd = sockets_.StrangerFd6(); break;
    }
    // After a rebind the event may name a closed socket: the new one has nothing yet.
    count = fd < 0 ? 0 : sockets_.Receive(fd, datagrams, kBatch);
  }
  ReceiveBatch(*rxLanes_[lane], datagrams, count, events);
  return count;
}

void DataPlane::ReceiveBatch(RxContext& rx, Datagram* datagrams, size_t count,
                            std::vector<DataPlaneEvent>& events) {
  uint64_t now = MonotonicNs();
  auto add = [&](const Datagram& segment) {
    rx.segments[rx.size++] = segment;
    if (rx.size == kBatch) ReceiveSegments(rx, now, events);
  };
  for (size_t j = 0; j < count; ++j) {
    Datagram& d = datagrams[j];
    if (d.segmentSize == 0) {
      add(d);
      continue;
    }
    for (size_t offset = 0; offset < d.length; offset += d.segmentSize) {
      size_t length = std::min(d.segmentSize, d.length - offset);
      add(Datagram{d.data + offset, length, length, d.peer});
    }
  }
  ReceiveSegments(rx, now, events);
  // The next receive reuses the buffers the coalescer points into.
  if (rx.coalescer) rx.coalescer->Flush();
}

namespace {

bool IsDataMessage(const Datagram& d) {
  return d.length >= kDataMinimumSize && Load32(d.data) == kMessageData;
}

}  // namespace

void DataPlane::ReceiveSegments(RxContext& rx, uint64_t now, std::vector<DataPlaneEvent>& events) {
  for (size_t i = 0; i < rx.size; ++i) {
    Datagram& d = rx.segments[i];
    if (!IsDataMessage(d) || !PrepareData(d, now, rx.entries[i], rx.opens[i])) {
      rx.entries[i] = {};
    }
  }
  crypto_->Run(rx.size, &DataPlane::OpenRx, &rx);
  // A peer's datagrams come through one lane, but not always the same one (a stranger's socket
  // until its endpoint is known, another lane after it roams): each keypair's receive state is
  // locked, once per run of its messages.
  std::unique_lock<std::mutex> receiving;
  const Keypair* locked = nullptr;
  for (size_t i = 0; i < rx.size; ++i) {
    Datagram& d = rx.segments[i];
    if (rx.entries[i].keypair) {
      if (rx.entries[i].keypair.get() != locked) {
        if (receiving) receiving.unlock();
        receiving = std::unique_lock(rx.entries[i].keypair->receiveMu);
        locked = rx.entries[i].keypair.get();
      }
      AcceptData(rx, d, rx.entries[i], rx.opened[i] != 0, now, events);
    } else if (!IsDataMessage(d)) {
      ReceiveDatagram(rx, d, now, events);
    }
  }
  if (receiving) receiving.unlock();
  for (size_t i = 0; i < rx.size; ++i) rx.entries[i] = {};
  rx.size = 0;
  // Once per batch: receive threads on many cores would share the counter's line.
  if (rx.received > 0) counters_.Add(Counter::kDataPacketsReceived, rx.received);
  rx.received = 0;
}

void DataPlane::OpenRx(void* context, size_t begin, size_t end) {
  RxContext& rx = *static_cast<RxContext*>(context);
  // Runs of one keypair go through the AEAD together; messages refused before have none.
  for (size_t i = begin; i < end;) {
    Keypair* keypair = rx.entries[i].keypair.get();
    size_t run = i + 1;
    while (run < end && rx.entries[run].keypair.get() == keypair) ++run;
    if (keypair) keypair->receiver.OpenMany(&rx.opens[i], run - i, &rx.opened[i]);
    i = run;
  }
}

void DataPlane::ReceiveDatagram(RxContext& rx, Datagram& datagram, uint64_t now,
                               std::vector<DataPlaneEvent>& events) {
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
    case kMessageData:  // too short to open (ReceiveSegments opens the others)
      counters_.Add(Counter::kDroppedGarbage);
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
  size_t queued = queuedHandshakes_.load(std::memory_order_relaxed) + rx.unpostedHandshakes;
  bool underLoad;
  {
    std::lock_guard lock(handshakeLimiterMu_);
    if (!handshakeLimiter_.Allow(datagram.peer, queued, now)) {
      counters_.Add(Counter::kDroppedHandshakeRateLimited);
      return;
    }
    underLoad = handshakeLimiter_.UnderLoad(now);
  }
  if (type != kMessageHandshakeCookie && !VerifyMac1(p, length)) {
    counters_.Add(Counter::kDroppedBadMac1);
    return;
  }
  counters_.Add(Counter::kHandshakeMessagesReceived);
  DataPlaneEvent e(DataPlaneEvent::Type::kHandshake);
  e.endpoint = datagram.peer;
  e.message.assign(p, p + length);
  e.underLoad = underLoad;
  events.push_back(std::move(e));
  ++rx.unpostedHandshakes;
}

bool DataPlane::VerifyMac1(const uint8_t* message, size_t length) {
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

bool DataPlane::PrepareData(Datagram& datagram, uint64_t now, PeerTable::IndexEntry& entry,
                           AeadPacket& open) {
  uint8_t* p = datagram.data;
  if (!peers_.FindByIndex(Load32(p + 4), &entry)) {
    counters_.Add(Counter::kDroppedUnknownReceiverIndex);
    return false;
  }
  const Keypair& keypair = *entry.keypair;
  uint64_t counter = Load64(p + 8);
  if (keypair.Expired(now) || counter >= kRejectAfterMessages) {
    counters_.Add(Counter::kDroppedExpiredKey);
    return false;
  }
  if (keypair.TooOld(counter)) {
    counters_.Add(Counter::kDroppedReplayed);
    return false;
  }
  uint8_t* payload = p + kDataHeaderSize;
  open = {counter, payload, datagram.length - kDataHeaderSize, payload};
  return true;
}

void DataPlane::AcceptData(RxContext& rx, Datagram& datagram, const PeerTable::IndexEntry& entry,
                          bool opened, uint64_t now, std::vector<DataPlaneEvent>& events) {
  size_t length = datagram.length;
  uint8_t* payload = datagram.data + kDataHeaderSize;
  Keypair& keypair = *entry.keypair;
  Peer& peer = *entry.peer;
  uint64_t counter = Load64(datagram.data + 8);
  if (!opened) {
    counters_.Add(Counter::kDroppedAuthFailed);
    return;
  }
  if (!keypair.replay.Accept(counter)) {
    counters_.Add(Counter::kDroppedReplayed);
    return;
  }
  keypair.NoteReceived(counter);
  ++rx.received;
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
      peer.sourceConfirmedAt = 0;
      roamed = true;
    } else if (!peer.endpoint.SameLocal(datagram.peer)) {
      peer.endpoint = datagram.peer;  // same peer address, reached at another of ours
      peer.sourceConfirmedAt = 0;
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
    DataPlaneEvent e(DataPlaneEvent::Type::kEndpointChanged);
    e.peer = peer.id;
    e.endpoint = datagram.peer;
    events.push_back(std::move(e));
  }
  if (confirming && peers_.ReceivedWith(peer, &keypair)) {
    DataPlaneEvent e(DataPlaneEvent::Type::kKeypairConfirmed);
    e.peer = peer.id;
    e.localIndex = keypair.localIndex;
    events.push_back(std::move(e));
    QueueTxWork(peer.id, TxWork::kFlushStaged);
  }
  if (lastMinute) RequestHandshake(peer, now, events);
  peer.NoteAuthenticatedReceived(now);

  size_t plainLength = length - kDataMinimumSize;
  if (plainLength == 0) return;  // keepalive
  ConsumeData(rx, peer, payload, plainLength, now, events);
}

void DataPlane::ConsumeData(RxContext& rx, Peer& peer, uint8_t* payload, size_t plainLength,
                           uint64_t now, std::vector<DataPlaneEvent>& events) {
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
  if (rx.coalescer) {
    rx.coalescer->Add(out, outLength);  // written (or counted as refused) at the batch's end
  } else if (!queues_->ForPacket(out, outLength).Write(out, outLength)) {
    counters_.Add(Counter::kDroppedTunWriteFailed);
    return;
  }
  peer.NoteDataReceived(now);
}

DataPlane::SourceResult DataPlane::CheckSource(Peer& peer, const IpHeaderView& header,
                                             const uint8_t* out, size_t outLength,
                                             std::vector<DataPlaneEvent>& events) {
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
      DataPlaneEvent e(DataPlaneEvent::Type::kResolveSource);
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

void DataPlane::Learn(const AddressKey& address, PeerId peer, std::vector<DataPlaneEvent>& events) {
  LearntAddresses::LearnResult result = learnt_.Learn(address, peer);
  if (result != LearntAddresses::LearnResult::kNew &&
      result != LearntAddresses::LearnResult::kMoved) {
    return;
  }
  DataPlaneEvent e(DataPlaneEvent::Type::kAddressLearnt);
  e.peer = peer;
  e.address = address;
  events.push_back(std::move(e));
}

void DataPlane::DropForSource(Peer& peer, uint64_t packets) {
  counters_.Add(Counter::kDroppedSourceCheck, packets);
  peer.sourceCheckDrops.fetch_add(packets, std::memory_order_relaxed);
}

void DataPlane::SettleSources(const std::vector<SourceVerdict>& verdicts) {
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
      if (!queues_->ForPacket(bytes.data(), bytes.size()).Write(bytes.data(), bytes.size())) {
        counters_.Add(Counter::kDroppedTunWriteFailed);
        continue;
      }
      peer->NoteDataReceived(now);
    }
  }
}

}  // namespace viaguard
