// AllowedIPs as a path-compressed multibit trie with stride 8, after Tree Bitmap (Eatherton,
// Varghese, Dittia, SIGCOMM CCR 2004). A node at depth d decides address byte d:
//  - its internal bitmap marks the prefixes of length 8d+1 .. 8d+8 that it holds (2+4+..+256 =
//    510 of 512 bits), so a /24 lives in the depth-2 node of its /16 and needs no node of its own;
//  - its external bitmap marks which next bytes lead to a child;
//  - results and children are dense arrays indexed by popcount rank.
// A child may sit deeper than depth d+1 (path compression): every node keeps the address bytes
// leading to it, which a lookup compares with one masked 128-bit test. A node is kept only if it
// holds a result, branches to two or more children, or is a root; so a sparse IPv6 prefix costs
// about one node (128 B), and a table of 1.1M Internet-like prefixes ~30 B per prefix.
// Speed: a lookup visits at most one node per byte instead of one per branching bit as in the
// kernel's binary trie (drivers/net/wireguard/allowedips.c); IPv4 lookups start at depth 2 from
// an index of the first 16 bits; LookupMany interleaves 16 lookups so their cache misses overlap.
// Semantics follow upstream WireGuard: one owner per prefix, exact removal only by its owner.
#include "allowedips.h"

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <vector>

namespace viaguard {
namespace {

constexpr unsigned kMaxKeyBytes = 15;  // deepest IPv6 node decides byte 15, after 15 key bytes

struct alignas(64) Node {
  uint64_t external[4];        // bit b: some child continues with address byte b
  Node** children;             // one per external bit, in byte order
  PeerId* results;             // one per internal bit, in position order
  uint8_t key[kMaxKeyBytes];   // address bytes [0, depth) leading here; the rest zero
  uint8_t depth;               // must directly follow key: lookups load key+depth as 16 bytes
  uint64_t internal[8];        // bit InternalPos(len, byte): holds prefix (key, byte) / 8*depth+len
};
static_assert(sizeof(Node) == 128, "a node is two cache lines");
static_assert(offsetof(Node, depth) == offsetof(Node, key) + kMaxKeyBytes, "key block is 16 bytes");

// Position of the prefix made of the first len (1..8) bits of byte in the internal bitmap, in
// heap order (2..511): lengths 1..5 share word 0, length 6 fills word 1, 7 words 2-3, 8 words 4-7,
// and a longer prefix always has a higher position than a shorter one on the same path.
constexpr unsigned InternalPos(unsigned len, unsigned byte) { return (1u << len) + (byte >> (8 - len)); }

// Inverse of InternalPos: relative length of a position.
inline unsigned LengthOfPos(unsigned pos) { return 31 - __builtin_clz(pos); }

#if defined(__x86_64__) && !defined(__POPCNT__)
// Baseline x86-64 has no popcnt instruction and libgcc's fallback is a call per word. PopCount
// below is then the SWAR idiom, which the compiler turns back into popcnt inside functions
// cloned for CPUs that have it (chosen once at load time).
#define VIAGUARD_POPCNT_CLONES __attribute__((target_clones("popcnt", "default")))
#else
#define VIAGUARD_POPCNT_CLONES
#endif

inline unsigned PopCount(uint64_t x) {
#if defined(__x86_64__) && !defined(__POPCNT__)
  x -= (x >> 1) & 0x5555555555555555ULL;
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  return static_cast<unsigned>((x * 0x0101010101010101ULL) >> 56);
#else
  return static_cast<unsigned>(__builtin_popcountll(x));
#endif
}

inline bool TestBit(const uint64_t* bits, unsigned i) { return (bits[i >> 6] >> (i & 63)) & 1; }
inline void SetBit(uint64_t* bits, unsigned i) { bits[i >> 6] |= uint64_t{1} << (i & 63); }
inline void ClearBit(uint64_t* bits, unsigned i) { bits[i >> 6] &= ~(uint64_t{1} << (i & 63)); }

// Number of set bits before bit i.
template <size_t kWords>
inline unsigned Rank(const uint64_t (&bits)[kWords], unsigned i) {
  unsigned word = i >> 6;
  unsigned r = PopCount(bits[word] & ((uint64_t{1} << (i & 63)) - 1));
  for (unsigned w = 0; w < word; ++w) r += PopCount(bits[w]);
  return r;
}

template <size_t kWords>
inline unsigned CountBits(const uint64_t (&bits)[kWords]) {
  unsigned r = 0;
  for (uint64_t w : bits) r += PopCount(w);
  return r;
}

// kKeyMask[d]: 0xff over the first d bytes, so (address ^ key) & mask tests a node's key.
constexpr std::array<std::array<uint8_t, 16>, 16> MakeKeyMasks() {
  std::array<std::array<uint8_t, 16>, 16> masks{};
  for (unsigned d = 0; d < 16; ++d)
    for (unsigned i = 0; i < d; ++i) masks[d][i] = 0xff;
  return masks;
}
alignas(64) constexpr std::array<std::array<uint8_t, 16>, 16> kKeyMask = MakeKeyMasks();

inline bool KeyMatches(const Node* node, uint64_t a0, uint64_t a1) {
  uint64_t k0, k1, m0, m1;
  std::memcpy(&k0, node->key, 8);
  std::memcpy(&k1, node->key + 8, 8);
  std::memcpy(&m0, kKeyMask[node->depth].data(), 8);
  std::memcpy(&m1, kKeyMask[node->depth].data() + 8, 8);
  return (((a0 ^ k0) & m0) | ((a1 ^ k1) & m1)) == 0;
}

// kShortPaths[byte >> 3]: the word-0 positions of the prefixes of length 1..5 on byte's path.
constexpr std::array<uint64_t, 32> MakeShortPaths() {
  std::array<uint64_t, 32> paths{};
  for (unsigned top = 0; top < 32; ++top)
    for (unsigned len = 1; len <= 5; ++len) paths[top] |= uint64_t{1} << InternalPos(len, top << 3);
  return paths;
}
constexpr std::array<uint64_t, 32> kShortPaths = MakeShortPaths();

// Position of the longest prefix of this node matching byte, or 0 when none does. Branch-free:
// in interleaved lookups a mispredicted branch would stall all of them.
inline unsigned LongestInternal(const Node* node, unsigned byte) {
  const uint64_t short_hits = node->internal[0] & kShortPaths[byte >> 3];
  unsigned best = 63 - __builtin_clzll(short_hits | 1);  // bit 0 is never a position
  const unsigned p6 = InternalPos(6, byte), p7 = InternalPos(7, byte), p8 = InternalPos(8, byte);
  best = TestBit(node->internal, p6) ? p6 : best;
  best = TestBit(node->internal, p7) ? p7 : best;
  best = TestBit(node->internal, p8) ? p8 : best;
  return best;
}

inline bool HasChild(const Node* node, unsigned byte) { return TestBit(node->external, byte); }

// Fixed-size slabs of 64-byte aligned nodes with a free list: no per-node malloc header and
// no alignment waste, and MemoryBytes() can count exactly what is held.
class NodePool {
 public:
  NodePool() = default;
  NodePool(const NodePool&) = delete;
  NodePool& operator=(const NodePool&) = delete;
  ~NodePool() {
    for (Node* slab : slabs_) ::operator delete(slab, std::align_val_t{alignof(Node)});
  }

  Node* Allocate() {
    if (free_ == nullptr) Grow();
    Node* node = free_;
    std::memcpy(&free_, node, sizeof free_);
    return new (node) Node{};
  }

  // A free node's first bytes link to the next free one.
  void Release(Node* node) {
    std::memcpy(node, &free_, sizeof free_);
    free_ = node;
  }

  size_t Bytes() const { return slabs_.size() * kSlabNodes * sizeof(Node); }

 private:
  static constexpr size_t kSlabNodes = 256;  // 32 KiB

  void Grow() {
    auto* slab = static_cast<Node*>(::operator new(kSlabNodes * sizeof(Node), std::align_val_t{alignof(Node)}));
    slabs_.push_back(slab);
    for (size_t i = kSlabNodes; i-- > 0;) Release(&slab[i]);
  }

  std::vector<Node*> slabs_;
  Node* free_ = nullptr;
};

}  // namespace

struct AllowedIps::Impl {
  struct Tree {
    Node* root;
    PeerId zero_owner;  // owner of /0, kNoPeer when none
    unsigned bytes;     // address length: 4 or 16
  };

  NodePool pool;  // before trees: their roots come from it
  Tree trees[2];
  size_t count = 0;
  size_t array_bytes = 0;

  // IPv4 lookups start from the address's first 16 bits: for each value, the first node at
  // depth >= 2 on its path (its key still to be checked) and the owner of the longest prefix of
  // length <= 16 covering it. 768 KiB that spare every IPv4 lookup the two top levels, the
  // bulk of its work on an Internet-sized table. Kept exact by RefreshV4Starts after each change.
  static constexpr size_t kV4Starts = 1 << 16;
  std::vector<const Node*> v4_start_node = std::vector<const Node*>(kV4Starts);
  std::vector<PeerId> v4_start_best = std::vector<PeerId>(kV4Starts);

  Impl() : trees{{pool.Allocate(), kNoPeer, 4}, {pool.Allocate(), kNoPeer, 16}} {}

  ~Impl() {
    for (Tree& tree : trees) FreeSubtree(tree.root);
  }

  Tree& TreeOf(Family family) {
    if (family == Family::kIpv4) return trees[0];
    if (family == Family::kIpv6) return trees[1];
    throw std::invalid_argument("AllowedIps: family must be 4 or 6");
  }

  // Resizes a dense array, keeping the accounting exact.
  template <typename T>
  T* Resize(T* array, size_t old_count, size_t new_count) {
    if (new_count == 0) {
      std::free(array);
      array_bytes -= old_count * sizeof(T);
      return nullptr;
    }
    if (new_count > PTRDIFF_MAX / sizeof(T)) throw std::bad_alloc();
    auto* resized = static_cast<T*>(std::realloc(array, new_count * sizeof(T)));
    if (resized == nullptr) {
      // Growing fails before anything changed; a failed shrink keeps the larger block.
      if (new_count > old_count) throw std::bad_alloc();
      return array;
    }
    array_bytes += new_count * sizeof(T);
    array_bytes -= old_count * sizeof(T);
    return resized;
  }

  template <typename T>
  T* InsertAt(T* array, size_t old_count, size_t index, T value) {
    array = Resize(array, old_count, old_count + 1);
    std::memmove(array + index + 1, array + index, (old_count - index) * sizeof(T));
    array[index] = value;
    return array;
  }

  template <typename T>
  T* EraseAt(T* array, size_t old_count, size_t index) {
    if (index + 1 < old_count) std::memmove(array + index, array + index + 1, (old_count - index - 1) * sizeof(T));
    return Resize(array, old_count, old_count - 1);
  }

  Node* NewNode(const uint8_t* key, unsigned depth) {
    Node* node = pool.Allocate();
    std::memcpy(node->key, key, depth);
    node->depth = static_cast<uint8_t>(depth);
    return node;
  }

  void FreeNode(Node* node) {
    Resize(node->children, CountBits(node->external), 0);
    Resize(node->results, CountBits(node->internal), 0);
    pool.Release(node);
  }

  void FreeSubtree(Node* node) {
    unsigned children = CountBits(node->external);
    for (unsigned i = 0; i < children; ++i) FreeSubtree(node->children[i]);
    FreeNode(node);
  }

  // Stores peer at pos; returns the previous owner or kNoPeer.
  PeerId SetResult(Node* node, unsigned pos, PeerId peer) {
    unsigned rank = Rank(node->internal, pos);
    if (TestBit(node->internal, pos)) {
      PeerId old = node->results[rank];
      node->results[rank] = peer;
      return old;
    }
    node->results = InsertAt(node->results, CountBits(node->internal), rank, peer);
    SetBit(node->internal, pos);
    return kNoPeer;
  }

  void ClearResult(Node* node, unsigned pos) {
    node->results = EraseAt(node->results, CountBits(node->internal), Rank(node->internal, pos));
    ClearBit(node->internal, pos);
  }

  Node** ChildSlot(Node* node, unsigned byte) { return &node->children[Rank(node->external, byte)]; }

  void AddChild(Node* node, unsigned byte, Node* child) {
    node->children = InsertAt(node->children, CountBits(node->external), Rank(node->external, byte), child);
    SetBit(node->external, byte);
  }

  void RemoveChild(Node* node, unsigned byte) {
    node->children = EraseAt(node->children, CountBits(node->external), Rank(node->external, byte));
    ClearBit(node->external, byte);
  }

  // A non-root node that holds nothing is freed (nullptr), one that only passes through to a
  // single child is replaced by that child; otherwise it stays.
  Node* Simplify(Node* node) {
    if (CountBits(node->internal) != 0) return node;
    unsigned children = CountBits(node->external);
    if (children > 1) return node;
    Node* replacement = children == 1 ? node->children[0] : nullptr;
    FreeNode(node);
    return replacement;
  }

  PeerId Insert(Tree& tree, const uint8_t* key, unsigned cidr, PeerId peer);
  void RefreshV4Start(unsigned first16);
  void RefreshV4Starts(const uint8_t* key, unsigned cidr);
  bool Remove(Tree& tree, const uint8_t* key, unsigned cidr, PeerId peer);
  size_t Prune(Node* node, PeerId peer);
  void Walk(const Node* node, PeerId peer, Family family,
            const std::function<void(Family, const uint8_t*, uint8_t)>& visit) const;
};

namespace {

// Copies addr into a zero-padded 16-byte key with every bit past cidr cleared.
void NormalizedKey(const uint8_t* addr, unsigned bytes, unsigned cidr, uint8_t (&key)[16]) {
  std::memset(key, 0, sizeof key);
  std::memcpy(key, addr, bytes);
  for (unsigned i = cidr / 8; i < 16; ++i) key[i] = 0;
  if (cidr % 8 != 0) key[cidr / 8] = addr[cidr / 8] & static_cast<uint8_t>(0xff00 >> (cidr % 8));
}

void CheckArguments(unsigned bytes, unsigned cidr, PeerId peer) {
  if (cidr > bytes * 8) throw std::invalid_argument("AllowedIps: cidr out of range");
  if (peer == kNoPeer) throw std::invalid_argument("AllowedIps: peer id 0 is reserved");
}

}  // namespace

PeerId AllowedIps::Impl::Insert(Tree& tree, const uint8_t* key, unsigned cidr, PeerId peer) {
  if (cidr == 0) {
    PeerId old = tree.zero_owner;
    tree.zero_owner = peer;
    if (old == kNoPeer) ++count;
    return old;
  }
  const unsigned target = (cidr - 1) / 8;
  const unsigned pos = InternalPos(cidr - 8 * target, key[target]);
  Node* node = tree.root;
  while (node->depth < target) {
    const unsigned byte = key[node->depth];
    if (!HasChild(node, byte)) {
      Node* leaf = NewNode(key, target);
      SetResult(leaf, pos, peer);
      AddChild(node, byte, leaf);
      ++count;
      return kNoPeer;
    }
    Node** slot = ChildSlot(node, byte);
    Node* child = *slot;
    const unsigned shared = child->depth < target ? child->depth : target;
    unsigned diff = node->depth + 1;
    while (diff < shared && key[diff] == child->key[diff]) ++diff;
    if (diff == shared && child->depth <= target) {
      node = child;
      continue;
    }
    if (diff == shared) {
      // The new prefix's node belongs between node and child.
      Node* middle = NewNode(key, target);
      AddChild(middle, child->key[target], child);
      SetResult(middle, pos, peer);
      *slot = middle;
    } else {
      // The paths part at byte diff: a fork there gets the old child and a new leaf.
      Node* fork = NewNode(key, diff);
      Node* leaf = NewNode(key, target);
      SetResult(leaf, pos, peer);
      AddChild(fork, child->key[diff], child);
      AddChild(fork, key[diff], leaf);
      *slot = fork;
    }
    ++count;
    return kNoPeer;
  }
  PeerId old = SetResult(node, pos, peer);
  if (old == kNoPeer) ++count;
  return old;
}

void AllowedIps::Impl::RefreshV4Start(unsigned first16) {
  const uint8_t bytes[2] = {static_cast<uint8_t>(first16 >> 8), static_cast<uint8_t>(first16)};
  PeerId best = trees[0].zero_owner;
  const Node* node = trees[0].root;
  const Node* start = nullptr;
  for (;;) {
    const unsigned byte = bytes[node->depth];
    const unsigned pos = LongestInternal(node, byte);
    if (pos != 0) best = node->results[Rank(node->internal, pos)];
    if (!HasChild(node, byte)) break;
    const Node* child = node->children[Rank(node->external, byte)];
    if (child->depth >= 2) {
      if (child->key[0] == bytes[0] && child->key[1] == bytes[1]) start = child;
      break;
    }
    node = child;
  }
  v4_start_node[first16] = start;
  v4_start_best[first16] = best;
}

// A change to key/cidr alters the owners of the starts its prefix covers when cidr <= 16, and
// otherwise only nodes on key's own path: the start of key's first 16 bits.
void AllowedIps::Impl::RefreshV4Starts(const uint8_t* key, unsigned cidr) {
  const unsigned first = static_cast<unsigned>(key[0]) << 8 | key[1];
  const unsigned span = cidr <= 16 ? 1u << (16 - cidr) : 1;
  for (unsigned i = first; i < first + span; ++i) RefreshV4Start(i);
}

bool AllowedIps::Impl::Remove(Tree& tree, const uint8_t* key, unsigned cidr, PeerId peer) {
  if (cidr == 0) {
    if (tree.zero_owner != peer) return false;
    tree.zero_owner = kNoPeer;
    --count;
    return true;
  }
  const unsigned target = (cidr - 1) / 8;
  const unsigned pos = InternalPos(cidr - 8 * target, key[target]);
  Node** path[kMaxKeyBytes + 1];  // slots leading to each node below the root
  unsigned levels = 0;
  Node* node = tree.root;
  while (node->depth < target) {
    const unsigned byte = key[node->depth];
    if (!HasChild(node, byte)) return false;
    Node** slot = ChildSlot(node, byte);
    Node* child = *slot;
    if (child->depth > target || std::memcmp(child->key, key, child->depth) != 0) return false;
    path[levels++] = slot;
    node = child;
  }
  if (!TestBit(node->internal, pos) || node->results[Rank(node->internal, pos)] != peer) return false;
  ClearResult(node, pos);
  --count;
  // Bottom-up: drop nodes left empty and bypass nodes left with a single child.
  while (levels > 0) {
    Node** slot = path[--levels];
    Node* current = *slot;
    Node* parent = levels > 0 ? *path[levels - 1] : tree.root;
    const unsigned byte = current->key[parent->depth];
    Node* replacement = Simplify(current);
    if (replacement == current) break;
    if (replacement != nullptr) {
      *slot = replacement;
      break;
    }
    RemoveChild(parent, byte);
  }
  return true;
}

size_t AllowedIps::Impl::Prune(Node* node, PeerId peer) {
  size_t removed = 0;
  const unsigned results = CountBits(node->internal);
  unsigned kept = 0, index = 0;
  for (unsigned w = 0; w < 8; ++w) {
    for (uint64_t bits = node->internal[w]; bits != 0; bits &= bits - 1) {
      const unsigned pos = w * 64 + __builtin_ctzll(bits);
      const PeerId owner = node->results[index++];
      if (owner == peer) {
        ClearBit(node->internal, pos);
        ++removed;
      } else {
        node->results[kept++] = owner;
      }
    }
  }
  node->results = Resize(node->results, results, kept);

  const unsigned children = CountBits(node->external);
  uint64_t external[4] = {};
  kept = index = 0;
  for (unsigned w = 0; w < 4; ++w) {
    for (uint64_t bits = node->external[w]; bits != 0; bits &= bits - 1) {
      Node* child = node->children[index++];
      removed += Prune(child, peer);
      child = Simplify(child);
      if (child == nullptr) continue;
      node->children[kept++] = child;
      SetBit(external, w * 64 + __builtin_ctzll(bits));
    }
  }
  std::memcpy(node->external, external, sizeof external);
  node->children = Resize(node->children, children, kept);
  return removed;
}

void AllowedIps::Impl::Walk(const Node* node, PeerId peer, Family family,
                            const std::function<void(Family, const uint8_t*, uint8_t)>& visit) const {
  unsigned index = 0;
  for (unsigned w = 0; w < 8; ++w) {
    for (uint64_t bits = node->internal[w]; bits != 0; bits &= bits - 1) {
      if (node->results[index++] != peer) continue;
      const unsigned pos = w * 64 + __builtin_ctzll(bits);
      const unsigned len = LengthOfPos(pos);
      uint8_t addr[16] = {};
      std::memcpy(addr, node->key, node->depth);
      addr[node->depth] = static_cast<uint8_t>((pos - (1u << len)) << (8 - len));
      visit(family, addr, static_cast<uint8_t>(node->depth * 8 + len));
    }
  }
  const unsigned children = CountBits(node->external);
  for (unsigned i = 0; i < children; ++i) Walk(node->children[i], peer, family, visit);
}

AllowedIps::AllowedIps() : impl_(new Impl) {}

AllowedIps::~AllowedIps() { delete impl_; }

PeerId AllowedIps::Insert(Family family, const uint8_t* addr, uint8_t cidr, PeerId peer) {
  Impl::Tree& tree = impl_->TreeOf(family);
  CheckArguments(tree.bytes, cidr, peer);
  uint8_t key[16];
  NormalizedKey(addr, tree.bytes, cidr, key);
  const PeerId previous = impl_->Insert(tree, key, cidr, peer);
  if (family == Family::kIpv4) impl_->RefreshV4Starts(key, cidr);
  return previous;
}

bool AllowedIps::Remove(Family family, const uint8_t* addr, uint8_t cidr, PeerId peer) {
  Impl::Tree& tree = impl_->TreeOf(family);
  CheckArguments(tree.bytes, cidr, peer);
  uint8_t key[16];
  NormalizedKey(addr, tree.bytes, cidr, key);
  if (!impl_->Remove(tree, key, cidr, peer)) return false;
  if (family == Family::kIpv4) impl_->RefreshV4Starts(key, cidr);
  return true;
}

size_t AllowedIps::RemoveAll(PeerId peer) {
  if (peer == kNoPeer) return 0;
  size_t removed = 0;
  for (Impl::Tree& tree : impl_->trees) {
    if (tree.zero_owner == peer) {
      tree.zero_owner = kNoPeer;
      ++removed;
    }
    removed += impl_->Prune(tree.root, peer);
    if (&tree == &impl_->trees[0] && removed != 0) {
      for (unsigned i = 0; i < Impl::kV4Starts; ++i) impl_->RefreshV4Start(i);
    }
  }
  impl_->count -= removed;
  return removed;
}

namespace {

// One lookup in flight. A level takes two steps, each ending with a prefetch of what the next
// step reads: at a node, find its best internal match and prefetch the child slot; at a slot,
// load the child pointer and prefetch the child's two cache lines.
struct Cursor {
  const Node* node;          // nullptr once finished
  const Node* const* slot;   // child pointer to follow next, or nullptr
  const PeerId* best;        // read only at the end, so its miss never stalls the descent
  bool check_key;            // node was reached by following a child pointer
  uint64_t a0, a1;           // the address, zero-padded to 16 bytes
  uint8_t bytes[16];
};

inline void Prefetch(const void* p) { __builtin_prefetch(p, 0, 3); }

// Starts c at node (nullptr: nothing deeper to visit) with best as the match so far.
inline void Start(Cursor& c, const uint8_t* addr, unsigned size, const Node* node, const PeerId* best, bool check_key) {
  std::memset(c.bytes, 0, sizeof c.bytes);
  std::memcpy(c.bytes, addr, size);
  std::memcpy(&c.a0, c.bytes, 8);
  std::memcpy(&c.a1, c.bytes + 8, 8);
  c.node = node;
  c.slot = nullptr;
  c.best = best;
  c.check_key = check_key;
  if (node != nullptr) {
    Prefetch(node);
    Prefetch(reinterpret_cast<const uint8_t*>(node) + 64);
  }
}

// Advances c by one step; returns false when the lookup is finished.
inline bool Step(Cursor& c) {
  if (c.slot != nullptr) {
    c.node = *c.slot;
    c.slot = nullptr;
    c.check_key = true;
    Prefetch(c.node);
    Prefetch(reinterpret_cast<const uint8_t*>(c.node) + 64);
    return true;
  }
  const Node* node = c.node;
  if (c.check_key && !KeyMatches(node, c.a0, c.a1)) return false;
  const unsigned byte = c.bytes[node->depth];
  const unsigned pos = LongestInternal(node, byte);
  if (pos != 0) {
    c.best = &node->results[Rank(node->internal, pos)];
    Prefetch(c.best);
  }
  if (!HasChild(node, byte)) return false;
  c.slot = &node->children[Rank(node->external, byte)];
  Prefetch(c.slot);
  return true;
}

}  // namespace

PeerId AllowedIps::Lookup(Family family, const uint8_t* addr) const {
  PeerId out;
  LookupMany(family, addr, 1, &out);
  return out;
}

VIAGUARD_POPCNT_CLONES
void AllowedIps::LookupMany(Family family, const uint8_t* addrs, size_t count, PeerId* out) const {
  constexpr size_t kInFlight = 16;
  const Impl::Tree& tree = impl_->TreeOf(family);
  for (size_t base = 0; base < count; base += kInFlight) {
    const size_t group = count - base < kInFlight ? count - base : kInFlight;
    Cursor cursors[kInFlight];
    size_t active = 0;
    for (size_t i = 0; i < group; ++i) {
      const uint8_t* addr = addrs + (base + i) * tree.bytes;
      if (family == Family::kIpv4) {
        const unsigned first16 = static_cast<unsigned>(addr[0]) << 8 | addr[1];
        Start(cursors[i], addr, 4, impl_->v4_start_node[first16], &impl_->v4_start_best[first16], true);
      } else {
        Start(cursors[i], addr, 16, tree.root, &tree.zero_owner, false);
      }
      active += cursors[i].node != nullptr;
    }
    while (active > 0) {
      for (size_t i = 0; i < group; ++i) {
        if (cursors[i].node != nullptr && !Step(cursors[i])) {
          cursors[i].node = nullptr;
          --active;
        }
      }
    }
    for (size_t i = 0; i < group; ++i) out[base + i] = *cursors[i].best;
  }
}

void AllowedIps::Walk(PeerId peer, const std::function<void(Family, const uint8_t*, uint8_t)>& visit) const {
  if (peer == kNoPeer) return;
  static const uint8_t kZero[16] = {};
  const Family families[2] = {Family::kIpv4, Family::kIpv6};
  for (unsigned i = 0; i < 2; ++i) {
    const Impl::Tree& tree = impl_->trees[i];
    if (tree.zero_owner == peer) visit(families[i], kZero, 0);
    impl_->Walk(tree.root, peer, families[i], visit);
  }
}

size_t AllowedIps::Count() const { return impl_->count; }

size_t AllowedIps::MemoryBytes() const {
  return sizeof(AllowedIps) + sizeof(Impl) + impl_->pool.Bytes() + impl_->array_bytes +
         Impl::kV4Starts * (sizeof(const Node*) + sizeof(PeerId));
}

}  // namespace viaguard
