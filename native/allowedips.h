// AllowedIPs: longest-prefix match from an IPv4/IPv6 address to the peer that owns the
// best matching prefix. A prefix has exactly one owner; inserting it again moves it.
// Not thread-safe: the data plane guards it with its own lock (readers vastly outnumber writers).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>

namespace viaguard {

using PeerId = uint32_t;
constexpr PeerId kNoPeer = 0;  // never a valid peer id

enum class Family : uint8_t { kIpv4 = 4, kIpv6 = 6 };

class AllowedIps {
 public:
  AllowedIps();
  ~AllowedIps();
  AllowedIps(const AllowedIps&) = delete;
  AllowedIps& operator=(const AllowedIps&) = delete;

  // Inserts addr/cidr (host bits are cleared first) for peer. Returns the previous owner of
  // that exact prefix, or kNoPeer when it is new. cidr must be <= 32 (IPv4) or <= 128 (IPv6).
  PeerId Insert(Family family, const uint8_t* addr, uint8_t cidr, PeerId peer);

  // Removes exactly addr/cidr when peer owns it (upstream wg semantics); otherwise does nothing.
  // Returns whether a prefix was removed.
  bool Remove(Family family, const uint8_t* addr, uint8_t cidr, PeerId peer);

  // Removes every prefix of peer; returns how many were removed.
  size_t RemoveAll(PeerId peer);

  // Longest-prefix match; kNoPeer when nothing matches. addr is 4 or 16 bytes.
  PeerId Lookup(Family family, const uint8_t* addr) const;

  // Lookup of count packed addresses of one family (4 or 16 bytes each) into out[0, count).
  // Runs the lookups interleaved so that their cache misses overlap: for a batch of packets
  // it is several times faster than Lookup in a loop. Const and allocation-free like Lookup.
  void LookupMany(Family family, const uint8_t* addrs, size_t count, PeerId* out) const;

  // Calls visit(family, addr, cidr) for each prefix of peer (addr is 4 or 16 bytes).
  void Walk(PeerId peer, const std::function<void(Family, const uint8_t*, uint8_t)>& visit) const;

  size_t Count() const;        // prefixes held, both families
  size_t MemoryBytes() const;  // heap bytes held by the structure

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace viaguard
