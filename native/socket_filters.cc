#include "socket_filters.h"

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>

#include "protocol_constants.h"

namespace viaguard {
namespace {

constexpr uint32_t kUdpHeader = 8;  // a UDP socket filter sees the datagram from its UDP header
constexpr uint32_t kAccept = 0xffffffff;

// Builds a program whose conditional jumps name labels ("" = the next instruction).
class Assembler {
 public:
  void Label(const std::string& name) { labels_[name] = code_.size(); }
  void Op(uint16_t code, uint32_t k) { code_.push_back(BPF_STMT(code, k)); }
  void Jump(uint16_t code, uint32_t k, const std::string& yes, const std::string& no) {
    fixups_.push_back({code_.size(), yes, no});
    code_.push_back(BPF_JUMP(code, k, 0, 0));
  }
  std::vector<sock_filter> Finish() {
    for (const Fixup& f : fixups_) {
      code_[f.at].jt = Offset(f.at, f.yes);
      code_[f.at].jf = Offset(f.at, f.no);
    }
    return std::move(code_);
  }

 private:
  struct Fixup {
    size_t at;
    std::string yes, no;
  };
  uint8_t Offset(size_t from, const std::string& label) const {
    if (label.empty()) return 0;
    size_t to = labels_.at(label);
    if (to <= from || to - from - 1 > 255) throw std::logic_error("BPF jump out of range");
    return static_cast<uint8_t>(to - from - 1);
  }
  std::vector<sock_filter> code_;
  std::vector<Fixup> fixups_;
  std::map<std::string, size_t> labels_;
};

// A load offset into the IP header (the kernel's negative SKF_NET_OFF base).
constexpr uint32_t NetOffset(uint32_t offset) { return static_cast<uint32_t>(SKF_NET_OFF) + offset; }

// The message type as the first payload word, loaded big-endian: the type byte then three zeros.
constexpr uint32_t TypeWord(uint8_t type) { return static_cast<uint32_t>(type) << 24; }

// A source endpoint as the words the steering program compares: the address (1 or 4 words),
// then the port.
std::vector<uint32_t> Words(const Endpoint& e) {
  std::vector<uint32_t> words;
  if (e.IsV6()) {
    for (int i = 0; i < 4; ++i) {
      uint32_t w;
      std::memcpy(&w, e.addr.v6.sin6_addr.s6_addr + 4 * i, sizeof w);
      words.push_back(ntohl(w));
    }
  } else {
    words.push_back(ntohl(e.addr.v4.sin_addr.s_addr));
  }
  words.push_back(e.Port());
  return words;
}

}  // namespace

std::vector<sock_filter> WireGuardMessageFilter() {
  Assembler a;
  a.Op(BPF_LD | BPF_W | BPF_LEN, 0);
  a.Jump(BPF_JMP | BPF_JGE | BPF_K, kUdpHeader + 4, "", "drop");
  a.Op(BPF_LD | BPF_W | BPF_ABS, kUdpHeader);
  a.Jump(BPF_JMP | BPF_JEQ | BPF_K, TypeWord(kMessageData), "data", "");
  a.Jump(BPF_JMP | BPF_JEQ | BPF_K, TypeWord(kMessageHandshakeInitiation), "initiation", "");
  a.Jump(BPF_JMP | BPF_JEQ | BPF_K, TypeWord(kMessageHandshakeResponse), "response", "");
  a.Jump(BPF_JMP | BPF_JEQ | BPF_K, TypeWord(kMessageHandshakeCookie), "cookie", "drop");
  const std::pair<const char*, size_t> exact[] = {{"initiation", kHandshakeInitiationSize},
                                                  {"response", kHandshakeResponseSize},
                                                  {"cookie", kHandshakeCookieSize}};
  for (const auto& [label, size] : exact) {
    a.Label(label);
    a.Op(BPF_LD | BPF_W | BPF_LEN, 0);
    a.Jump(BPF_JMP | BPF_JEQ | BPF_K, kUdpHeader + static_cast<uint32_t>(size), "accept", "drop");
  }
  a.Label("data");  // UDP GRO may join several: the length is at least one message's
  a.Op(BPF_LD | BPF_W | BPF_LEN, 0);
  a.Jump(BPF_JMP | BPF_JGE | BPF_K, kUdpHeader + kDataMinimumSize, "accept", "drop");
  a.Label("accept");
  a.Op(BPF_RET | BPF_K, kAccept);
  a.Label("drop");
  a.Op(BPF_RET | BPF_K, 0);
  return a.Finish();
}

unsigned KnownLane(const Endpoint& endpoint, unsigned lanes) {
  uint32_t sum = 0;  // wraps as the program's 32-bit ALU does
  for (uint32_t word : Words(endpoint)) sum += word;
  return sum % lanes;
}

std::vector<sock_filter> SteeringProgram(int family, const std::vector<Endpoint>& endpoints,
                                         unsigned lanes) {
  // Loads relative to SKF_NET_OFF read the IP header. IPv4: the source at 12, the UDP header
  // after IHL words. IPv6: the source at 8, the UDP header at 40 (a datagram with extension
  // headers compares a wrong port and is treated as a stranger's: served, not preferred).
  const bool v6 = family == AF_INET6;
  std::vector<sock_filter> p;
  uint32_t slot = 0;
  for (uint32_t offset : v6 ? std::vector<uint32_t>{8, 12, 16, 20} : std::vector<uint32_t>{12}) {
    p.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NetOffset(offset)));
    p.push_back(BPF_STMT(BPF_ST, slot++));
  }
  if (v6) {
    p.push_back(BPF_STMT(BPF_LD | BPF_H | BPF_ABS, NetOffset(40)));
  } else {
    p.push_back(BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, NetOffset(0)));
    p.push_back(BPF_STMT(BPF_LD | BPF_H | BPF_IND, NetOffset(0)));
  }
  p.push_back(BPF_STMT(BPF_ST, slot));
  // Per endpoint: for each word, load it and skip to the next endpoint when it differs; all
  // equal: return its lane.
  const size_t perEndpoint = 2 * (slot + 1) + 1;
  size_t matching = 0;
  for (const Endpoint& e : endpoints) matching += e.IsSet() && e.IsV6() == v6;
  if (p.size() + matching * perEndpoint + 1 > BPF_MAXINSNS) {
    // Too many to tell apart: every source is served as a peer, in the lane KnownLane names
    // (the sum of the loaded words, modulo lanes).
    p.push_back(BPF_STMT(BPF_LD | BPF_MEM, 0));
    for (uint32_t i = 1; i <= slot; ++i) {
      p.push_back(BPF_STMT(BPF_LDX | BPF_MEM, i));
      p.push_back(BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0));
    }
    p.push_back(BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, lanes));
    p.push_back(BPF_STMT(BPF_RET | BPF_A, 0));
    return p;
  }
  for (const Endpoint& e : endpoints) {
    if (!e.IsSet() || e.IsV6() != v6) continue;
    std::vector<uint32_t> words = Words(e);
    for (size_t i = 0; i < words.size(); ++i) {
      size_t left = perEndpoint - 2 * (i + 1);  // instructions after this jump in the block
      p.push_back(BPF_STMT(BPF_LD | BPF_MEM, static_cast<uint32_t>(i)));
      p.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, words[i], 0, static_cast<uint8_t>(left)));
    }
    p.push_back(BPF_STMT(BPF_RET | BPF_K, KnownLane(e, lanes)));
  }
  p.push_back(BPF_STMT(BPF_RET | BPF_K, StrangerSocket(lanes)));
  return p;
}

}  // namespace viaguard
