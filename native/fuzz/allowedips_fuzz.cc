// Fuzz target: AllowedIPs against a reference model, as the kernel's allowedips selftest checks
// its trie against a linear list. The input is a sequence of inserts, removals, lookups (single
// and batched), per-peer walks and removal of a peer's prefixes; after each operation the trie
// must answer exactly as the model does.
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "allowedips.h"

namespace {

using namespace viaguard;
using Address = std::array<uint8_t, 16>;  // IPv4 in the first 4 bytes, the rest zero

void Require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "allowedips_fuzz: %s\n", what);
  std::abort();
}

size_t Bits(Family family) { return family == Family::kIpv4 ? 32 : 128; }

Address Masked(const Address& address, uint8_t cidr) {
  Address out{};
  for (size_t bit = 0; bit < cidr; ++bit) {
    if (address[bit / 8] & (0x80 >> (bit % 8))) out[bit / 8] |= static_cast<uint8_t>(0x80 >> (bit % 8));
  }
  return out;
}

// The model: every prefix and its owner; lookup scans them all for the longest match.
class Reference {
 public:
  using Key = std::tuple<Family, Address, uint8_t>;

  PeerId Insert(Family family, const Address& address, uint8_t cidr, PeerId peer) {
    Key key{family, Masked(address, cidr), cidr};
    auto it = prefixes_.find(key);
    PeerId previous = it == prefixes_.end() ? kNoPeer : it->second;
    prefixes_[key] = peer;
    return previous;
  }
  bool Remove(Family family, const Address& address, uint8_t cidr, PeerId peer) {
    auto it = prefixes_.find({family, Masked(address, cidr), cidr});
    if (it == prefixes_.end() || it->second != peer) return false;
    prefixes_.erase(it);
    return true;
  }
  size_t RemoveAll(PeerId peer) {
    size_t removed = 0;
    for (auto it = prefixes_.begin(); it != prefixes_.end();) {
      if (it->second == peer) {
        it = prefixes_.erase(it);
        ++removed;
      } else {
        ++it;
      }
    }
    return removed;
  }
  PeerId Lookup(Family family, const Address& address) const {
    int best = -1;
    PeerId owner = kNoPeer;
    for (const auto& [key, peer] : prefixes_) {
      const auto& [f, prefix, cidr] = key;
      if (f == family && cidr > best && Masked(address, cidr) == prefix) {
        best = cidr;
        owner = peer;
      }
    }
    return owner;
  }
  std::set<Key> Of(PeerId peer) const {
    std::set<Key> out;
    for (const auto& [key, owner] : prefixes_) {
      if (owner == peer) out.insert(key);
    }
    return out;
  }
  size_t Count() const { return prefixes_.size(); }
  const std::map<Key, PeerId>& All() const { return prefixes_; }

 private:
  std::map<Key, PeerId> prefixes_;
};

// Addresses share leading bytes often enough to build deep, overlapping tries: each byte is
// either taken from a small alphabet or fuzzed outright.
Address PickAddress(FuzzedDataProvider& in, Family family) {
  static const uint8_t kAlphabet[] = {0x00, 0x0a, 0x80, 0xc0, 0xfe, 0xff};
  Address address{};
  size_t bytes = Bits(family) / 8;
  bool dense = in.ConsumeBool();
  for (size_t i = 0; i < bytes; ++i) {
    address[i] = dense ? in.PickValueInArray(kAlphabet) : in.ConsumeIntegral<uint8_t>();
  }
  return address;
}

// An IPv4 prefix shorter than /16 rewrites up to 2^16 entries of the trie's start table: worth
// exercising, too slow to do at every step.
uint8_t PickCidr(FuzzedDataProvider& in, Family family) {
  if (family == Family::kIpv4 && in.ConsumeIntegralInRange<uint8_t>(0, 7) != 0) {
    return in.ConsumeIntegralInRange<uint8_t>(16, 32);
  }
  return in.ConsumeIntegralInRange<uint8_t>(0, Bits(family));
}

enum class Operation { kInsert, kRemove, kRemoveAll, kLookup, kLookupMany, kWalk };

// Weighted: RemoveAll rebuilds the whole 2^16-entry IPv4 start table, so it comes rarely.
Operation PickOperation(FuzzedDataProvider& in) {
  uint8_t pick = in.ConsumeIntegralInRange<uint8_t>(0, 31);
  if (pick == 0) return Operation::kRemoveAll;
  if (pick <= 12) return Operation::kInsert;
  if (pick <= 16) return Operation::kRemove;
  if (pick <= 24) return Operation::kLookup;
  if (pick <= 28) return Operation::kLookupMany;
  return Operation::kWalk;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // One trie for every input (building one is dear: it holds 2^16-entry IPv4 start tables),
  // emptied at the end by removing what the model says it holds.
  static AllowedIps trie;
  FuzzedDataProvider in(data, size);
  Reference model;
  while (in.remaining_bytes() > 0) {
    Family family = in.ConsumeBool() ? Family::kIpv4 : Family::kIpv6;
    PeerId peer = in.ConsumeIntegralInRange<PeerId>(1, 6);
    switch (PickOperation(in)) {
      case Operation::kInsert: {
        Address address = PickAddress(in, family);
        uint8_t cidr = PickCidr(in, family);
        Require(trie.Insert(family, address.data(), cidr, peer) == model.Insert(family, address, cidr, peer),
                "Insert returned another previous owner");
        break;
      }
      case Operation::kRemove: {
        Address address = PickAddress(in, family);
        uint8_t cidr = PickCidr(in, family);
        Require(trie.Remove(family, address.data(), cidr, peer) == model.Remove(family, address, cidr, peer),
                "Remove disagrees");
        break;
      }
      case Operation::kRemoveAll:
        Require(trie.RemoveAll(peer) == model.RemoveAll(peer), "RemoveAll removed another count");
        break;
      case Operation::kLookup: {
        Address address = PickAddress(in, family);
        Require(trie.Lookup(family, address.data()) == model.Lookup(family, address), "Lookup disagrees");
        break;
      }
      case Operation::kLookupMany: {
        size_t count = in.ConsumeIntegralInRange<size_t>(1, 24);
        size_t width = Bits(family) / 8;
        std::vector<uint8_t> packed(count * width);
        std::vector<PeerId> expected(count);
        for (size_t i = 0; i < count; ++i) {
          Address address = PickAddress(in, family);
          std::copy(address.begin(), address.begin() + width, packed.begin() + i * width);
          expected[i] = model.Lookup(family, address);
        }
        std::vector<PeerId> got(count);
        trie.LookupMany(family, packed.data(), count, got.data());
        Require(got == expected, "LookupMany disagrees");
        break;
      }
      case Operation::kWalk: {
        std::set<Reference::Key> walked;
        trie.Walk(peer, [&walked](Family f, const uint8_t* addr, uint8_t cidr) {
          Address address{};
          std::copy(addr, addr + Bits(f) / 8, address.begin());
          Require(Masked(address, cidr) == address, "Walk returned host bits");
          Require(walked.insert({f, address, cidr}).second, "Walk returned a prefix twice");
        });
        Require(walked == model.Of(peer), "Walk disagrees");
        break;
      }
    }
    Require(trie.Count() == model.Count(), "Count disagrees");
  }
  for (const auto& [key, peer] : model.All()) {
    const auto& [family, address, cidr] = key;
    Require(trie.Remove(family, address.data(), cidr, peer), "a prefix the model holds is missing");
  }
  Require(trie.Count() == 0, "prefixes left after removing every one");
  return 0;
}
