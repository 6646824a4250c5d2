// Route mode (a TAP device): peers' MACs, which peer each outgoing frame is for, the ARP/NDP
// answers given on the peers' behalf, and link-local multicast copied to every peer.
#include <cstring>
#include <stdexcept>
#include <string>

#include "datapath.h"
#include "datapath_internal.h"

namespace viaguard {

bool DataPlane::SetPeerMac(PeerId id, Mac mac) {
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

PeerId DataPlane::OwnerOf(const AddressKey& address) const {
  PeerId owner;
  {
    std::shared_lock lock(allowed_->mutex);
    owner = allowed_->table.Lookup(address.family, address.bytes);
  }
  return owner != kNoPeer ? owner : learnt_.Lookup(address);
}

// ---- transmit thread ----

void DataPlane::ClassifyFrames(PacketSlot* frames, size_t count, PeerId* owners, bool* flood,
                              size_t* packetLength) {
  std::shared_lock lock(macsMu_);
  for (size_t i = 0; i < count; ++i) {
    owners[i] = kNoPeer;
    packetLength[i] = 0;
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
    if (IsGroupMac(frame)) {
      flood[i] = IsLinkLocalMulticast(header.family, header.destination);
      if (flood[i]) packetLength[i] = header.totalLength;
      if (!flood[i]) counters_.Add(Counter::kDroppedMulticast);
      continue;
    }
    packetLength[i] = header.totalLength;  // without any Ethernet padding
    auto it = peerByMac_.find(MacFromBytes(frame));
    if (it == peerByMac_.end()) {
      counters_.Add(Counter::kDroppedUnknownMac);
      continue;
    }
    owners[i] = it->second;
  }
}

void DataPlane::AnswerNeighbour(const NeighbourQuery& query) {
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

void DataPlane::Flood(TxContext& tx, const uint8_t* packet, size_t length, uint64_t now,
                     std::vector<DataPlaneEvent>& events) {
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

}  // namespace viaguard
