// Fuzz target: a received UDP datagram through the whole receive path short of the socket
// (DataPlane::ReceiveBatch): message type and length checks, mac1, receiver index lookup, key
// expiry, decryption, the replay window, keypair confirmation, roaming, the inner IP header,
// the source check (all three modes, `route` verdicts answered from the input) and the write to
// a TUN or TAP device double that insists on well-formed packets.
//
// The data plane holds real keypairs, and the input can ask for datagrams that are sealed with
// their keys (with fuzzed counters and indices) or handshake messages with a valid mac1, so that
// the fuzzer reaches past the cryptographic checks instead of stopping at them. Each input starts
// from the same state: peers, keypairs and verdicts are installed afresh.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "aead.h"
#include "blake2s.h"
#include "checked_device.h"
#include "clock.h"
#include "datapath.h"
#include "protocol_constants.h"

namespace viaguard::fuzz {
namespace {

constexpr PeerId kPeerA = 1;
constexpr PeerId kPeerB = 2;
constexpr Mac kDeviceMac = 0x020000000001;
constexpr Mac kPeerMacs[] = {0, 0x02000000000a, 0x02000000000b};
constexpr size_t kMaxDatagram = 65535;
constexpr size_t kMaxBatch = 32;

struct KeySpec {
  uint32_t localIndex;
  PeerId peer;
  bool initiator;
  uint64_t age;  // how old the keypair is when installed
};
// Peer A: a current initiator keypair near the end of its life (receiving with it asks for a
// last-minute handshake) and a responder keypair waiting in next (receiving with it confirms
// it). Peer B: a fresh current keypair and an expired one in next.
constexpr KeySpec kKeys[] = {
    {0x101, kPeerA, true, kRejectAfterTime - kKeepaliveTimeout - kRekeyTimeout},
    {0x102, kPeerA, false, 0},
    {0x201, kPeerB, true, 0},
    {0x202, kPeerB, false, kRejectAfterTime},
};

std::array<uint8_t, 32> KeyFor(uint32_t localIndex, bool send) {
  std::array<uint8_t, 32> key;
  for (size_t i = 0; i < key.size(); ++i) {
    key[i] = static_cast<uint8_t>(localIndex * 31 + i * 7 + (send ? 1 : 0));
  }
  return key;
}

const uint8_t kMac1Key[32] = {0x6d, 0x61, 0x63, 0x31, 0x2d, 0x6b, 0x65, 0x79};

void Store32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void Store64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

Endpoint MakeEndpoint(const char* address, uint16_t port) {
  Endpoint endpoint;
  if (!Endpoint::Parse(address, port, &endpoint)) abort();
  return endpoint;
}

struct Prefix {
  Family family;
  std::array<uint8_t, 16> address;
  uint8_t cidr;
  PeerId peer;
};
const Prefix kAllowed[] = {
    {Family::kIpv4, {10}, 8, kPeerA},
    {Family::kIpv6, {0xfd, 0x00}, 16, kPeerA},
    {Family::kIpv4, {10, 1}, 16, kPeerB},
    {Family::kIpv4, {192, 168}, 16, kPeerB},
    {Family::kIpv6, {0xfd, 0x00, 0x00, 0x02}, 32, kPeerB},
};

// One data plane (TUN or TAP) with the peers and keys above; the sealing side of every key.
class Harness {
 public:
  explicit Harness(bool ethernet)
      : allowed_(std::make_shared<SharedAllowedIps>()),
        dataPath_(std::make_unique<CheckedDevice>(ethernet, kDeviceMac), 1420, allowed_, [] {}, 2) {
    dataPath_.SetMac1Key(kMac1Key);
    for (const KeySpec& spec : kKeys) {
      sealers_.push_back(std::make_unique<ChaChaPoly>(KeyFor(spec.localIndex, false).data()));
    }
  }

  DataPlane& dataPath() { return dataPath_; }

  // Puts endpoints, keypairs and source verdicts back as they were, and the peers too once
  // they have learnt addresses (removing a peer walks AllowedIPs' start tables: too dear for
  // every input). A peer's last-minute handshake flag survives; nothing else does.
  void Reset(SourceCheck mode) {
    dataPath_.SetSourceCheck(mode);
    dataPath_.ClearSourceVerdicts();
    uint64_t now = MonotonicNs();
    for (PeerId id : {kPeerA, kPeerB}) {
      if (dataPath_.HasPeer(id) && !dataPath_.LearntAddressesOf(id).empty()) dataPath_.RemovePeer(id);
      if (!dataPath_.HasPeer(id)) AddPeer(id);
      dataPath_.ClearKeypairs(id);
      dataPath_.SetEndpoint(id, MakeEndpoint(id == kPeerA ? "192.0.2.1" : "2001:db8::2", 51820));
    }
    for (const KeySpec& spec : kKeys) {
      KeypairParams params{};
      params.localIndex = spec.localIndex;
      params.remoteIndex = spec.localIndex + 0x10000;
      std::memcpy(params.sendKey, KeyFor(spec.localIndex, true).data(), 32);
      std::memcpy(params.receiveKey, KeyFor(spec.localIndex, false).data(), 32);
      params.initiator = spec.initiator;
      params.birthNs = now > spec.age ? now - spec.age : 0;
      dataPath_.InstallKeypair(spec.peer, params);
    }
  }

  void AddPeer(PeerId id) {
    dataPath_.AddPeer(id);
    if (dataPath_.Ethernet()) dataPath_.SetPeerMac(id, kPeerMacs[id]);
    std::unique_lock lock(allowed_->mutex);
    for (const Prefix& p : kAllowed) {
      if (p.peer == id) allowed_->table.Insert(p.family, p.address.data(), p.cidr, p.peer);
    }
  }

  // The key a peer would seal a data message to localIndex with (a wrong one for unknown
  // indices, so those fail authentication as a stranger's would).
  ChaChaPoly& SealerFor(uint32_t localIndex, uint8_t fallback) {
    for (size_t i = 0; i < std::size(kKeys); ++i) {
      if (kKeys[i].localIndex == localIndex) return *sealers_[i];
    }
    return *sealers_[fallback % sealers_.size()];
  }

 private:
  std::shared_ptr<SharedAllowedIps> allowed_;
  DataPlane dataPath_;
  std::vector<std::unique_ptr<ChaChaPoly>> sealers_;
};

uint32_t PickIndex(FuzzedDataProvider& in) {
  uint8_t choice = in.ConsumeIntegralInRange<uint8_t>(0, std::size(kKeys));
  return choice < std::size(kKeys) ? kKeys[choice].localIndex : in.ConsumeIntegral<uint32_t>();
}

uint64_t PickCounter(FuzzedDataProvider& in) {
  // Mostly near the start, where the replay window's edges are; sometimes anywhere (the
  // REJECT_AFTER_MESSAGES limit and far jumps).
  return in.ConsumeBool() ? in.ConsumeIntegralInRange<uint64_t>(0, 4 * 8192)
                          : in.ConsumeIntegral<uint64_t>();
}

// Source and destination addresses likely to matter: each peer's AllowedIPs, link-local
// (route mode learns those), unspecified and multicast, or any.
void PickAddress(FuzzedDataProvider& in, Family family, uint8_t* out) {
  static const uint8_t kV4[][4] = {{10, 0, 0, 1}, {10, 1, 0, 1}, {192, 168, 1, 1},
                                   {169, 254, 0, 9}, {0, 0, 0, 0}, {224, 0, 0, 5}};
  static const uint8_t kV6[][16] = {{0xfd, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
                                    {0xfd, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
                                    {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9},
                                    {0},
                                    {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16}};
  size_t size = family == Family::kIpv4 ? 4 : 16;
  size_t pool = family == Family::kIpv4 ? std::size(kV4) : std::size(kV6);
  size_t choice = in.ConsumeIntegralInRange<size_t>(0, pool);
  if (choice == pool) {
    std::vector<uint8_t> bytes = in.ConsumeBytes<uint8_t>(size);
    bytes.resize(size);
    std::memcpy(out, bytes.data(), size);
  } else {
    std::memcpy(out, family == Family::kIpv4 ? kV4[choice] : kV6[choice], size);
  }
}

// A plaintext for a data message: fuzzed bytes, or an IPv4/IPv6 packet with chosen addresses
// whose header is consistent (the fuzzer may still shorten it or lie in the length).
std::vector<uint8_t> MakePlaintext(FuzzedDataProvider& in) {
  size_t maxPlain = kMaxDatagram - kDataMinimumSize;
  uint8_t shape = in.ConsumeIntegralInRange<uint8_t>(0, 2);
  if (shape == 0) return in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, maxPlain));
  Family family = shape == 1 ? Family::kIpv4 : Family::kIpv6;
  size_t header = family == Family::kIpv4 ? 20 : 40;
  std::vector<uint8_t> payload =
      in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, maxPlain - header));
  std::vector<uint8_t> packet(header, 0);
  size_t total = header + payload.size();
  if (family == Family::kIpv4) {
    packet[0] = 0x45;
    packet[2] = static_cast<uint8_t>(total >> 8);
    packet[3] = static_cast<uint8_t>(total);
    packet[9] = in.ConsumeIntegral<uint8_t>();
    PickAddress(in, family, packet.data() + 12);
    PickAddress(in, family, packet.data() + 16);
  } else {
    packet[0] = 0x60;
    packet[4] = static_cast<uint8_t>(payload.size() >> 8);
    packet[5] = static_cast<uint8_t>(payload.size());
    packet[6] = in.ConsumeIntegral<uint8_t>();
    packet[7] = 255;
    PickAddress(in, family, packet.data() + 8);
    PickAddress(in, family, packet.data() + 24);
  }
  packet.insert(packet.end(), payload.begin(), payload.end());
  // Trailing bytes beyond the header's length (padding, or a lie) are the receiver's problem.
  size_t extra = in.ConsumeIntegralInRange<size_t>(0, 15);
  if (packet.size() + extra <= maxPlain) packet.resize(packet.size() + extra, 0);
  return packet;
}

std::vector<uint8_t> Seal(Harness& harness, uint32_t localIndex, uint64_t counter,
                          const std::vector<uint8_t>& plaintext, uint8_t fallback) {
  std::vector<uint8_t> message(kDataHeaderSize + plaintext.size() + kDataTagSize);
  Store32(message.data(), kMessageData);
  Store32(message.data() + 4, localIndex);
  Store64(message.data() + 8, counter);
  harness.SealerFor(localIndex, fallback)
      .Seal(counter, plaintext.data(), plaintext.size(), nullptr, 0, message.data() + kDataHeaderSize);
  return message;
}

std::vector<uint8_t> HandshakeWithMac1(FuzzedDataProvider& in) {
  static const size_t kSizes[] = {kHandshakeInitiationSize, kHandshakeResponseSize,
                                  kHandshakeCookieSize};
  uint8_t type = in.ConsumeIntegralInRange<uint8_t>(1, 3);
  std::vector<uint8_t> message = in.ConsumeBytes<uint8_t>(kSizes[type - 1]);
  message.resize(kSizes[type - 1]);
  Store32(message.data(), type);
  size_t macOffset = message.size() - 2 * kMacSize;
  if (type != kMessageHandshakeCookie) {
    Blake2s(message.data() + macOffset, kMacSize, kMac1Key, sizeof kMac1Key, message.data(),
            macOffset);
  }
  return message;
}

struct Input {
  std::vector<uint8_t> bytes;
  size_t segmentSize = 0;
  uint8_t endpoint = 0;
};

Input NextDatagram(FuzzedDataProvider& in, Harness& harness) {
  Input out;
  out.endpoint = in.ConsumeIntegralInRange<uint8_t>(0, 2);
  switch (in.ConsumeIntegralInRange<uint8_t>(0, 3)) {
    case 0:  // anything at all, 0 to 65535 bytes
      out.bytes = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, kMaxDatagram));
      break;
    case 1: {  // a data message sealed with a real key (or the wrong one for an unknown index)
      uint32_t index = PickIndex(in);
      uint64_t counter = PickCounter(in);
      uint8_t fallback = in.ConsumeIntegral<uint8_t>();
      out.bytes = Seal(harness, index, counter, MakePlaintext(in), fallback);
      break;
    }
    case 2:
      out.bytes = HandshakeWithMac1(in);
      break;
    case 3: {  // a UDP GRO batch: sealed messages of one size back to back, the last shorter
      uint32_t index = PickIndex(in);
      uint64_t counter = PickCounter(in);
      std::vector<uint8_t> plaintext = MakePlaintext(in);
      size_t segments = in.ConsumeIntegralInRange<size_t>(1, 4);
      for (size_t i = 0; i < segments; ++i) {
        std::vector<uint8_t> message = Seal(harness, index, counter + i, plaintext, 0);
        if (out.bytes.size() + message.size() > kMaxDatagram) break;
        out.bytes.insert(out.bytes.end(), message.begin(), message.end());
        out.segmentSize = message.size();
      }
      out.bytes.resize(out.bytes.size() - in.ConsumeIntegralInRange<size_t>(0, out.bytes.size() / 2));
      if (out.bytes.empty()) out.segmentSize = 0;
      break;
    }
  }
  return out;
}

}  // namespace
}  // namespace viaguard::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace viaguard;
  using namespace viaguard::fuzz;
  static Harness tun(false);
  static Harness tap(true);
  static const Endpoint kSources[] = {MakeEndpoint("192.0.2.1", 51820),
                                      MakeEndpoint("198.51.100.7", 40000),
                                      MakeEndpoint("2001:db8::2", 51820)};

  FuzzedDataProvider in(data, size);
  Harness& harness = in.ConsumeBool() ? tap : tun;
  harness.Reset(static_cast<SourceCheck>(in.ConsumeIntegralInRange<uint8_t>(0, 2)));

  std::vector<Input> inputs;
  while (in.remaining_bytes() > 0 && inputs.size() < kMaxBatch) {
    inputs.push_back(NextDatagram(in, harness));
  }
  // Each datagram in its own exact-size allocation, so that any read past it is caught.
  std::vector<std::unique_ptr<uint8_t[]>> buffers;
  std::vector<Datagram> datagrams;
  for (const Input& input : inputs) {
    buffers.emplace_back(new uint8_t[input.bytes.size()]);
    std::copy(input.bytes.begin(), input.bytes.end(), buffers.back().get());
    Datagram d{buffers.back().get(), input.bytes.size(), input.bytes.size(), kSources[input.endpoint]};
    d.segmentSize = input.segmentSize;
    datagrams.push_back(d);
  }
  DataPlane& dataPath = harness.dataPath();
  dataPath.ReceiveBatch(datagrams.data(), datagrams.size());

  // Answer the `route` source check's questions; held packets are then written or dropped.
  std::vector<SourceVerdict> verdicts;
  for (const DataPlaneEvent& e : dataPath.TakeEvents()) {
    if (e.type != DataPlaneEvent::Type::kResolveSource) continue;
    bool accept = (e.address.bytes[3] & 1) != 0;  // some yes, some no
    verdicts.push_back({e.address, e.destination, e.peer, accept, e.generation});
  }
  dataPath.SettleSources(verdicts);
  return 0;
}
