// N-API class AllowedIps: single and bulk operations on a shared AllowedIps table. Every
// argument is checked here too (types, lengths, ranges), so garbage from JS throws instead of
// reaching the trie. Bulk entries use the 22-byte layout of BOUNDARY.md:
//   u8 family (4|6), u8 cidr, 16 bytes address (IPv4 in the first 4), u32 little-endian peer.
#include "binding/allowedips_wrap.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "binding/modules.h"

namespace viaguard::binding {
namespace {

constexpr size_t kEntryBytes = 22;

// Marks JS objects created by this class, so UnwrapAllowedIps cannot be fooled by look-alikes.
constexpr napi_type_tag kAllowedIpsTag = {0x7c1d5a3e9b2f4e81ULL, 0xa64b0f3c2d9e7158ULL};

uint32_t ToU32(const Napi::Value& value, const char* what, uint32_t min, uint32_t max) {
  if (!value.IsNumber()) throw Napi::TypeError::New(value.Env(), std::string(what) + " must be a number");
  const double d = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d) {
    throw Napi::RangeError::New(value.Env(), std::string(what) + " must be an integer");
  }
  if (d < min || d > max) {
    throw Napi::RangeError::New(value.Env(), std::string(what) + " must be in " + std::to_string(min) + ".." +
                                                 std::to_string(max));
  }
  return static_cast<uint32_t>(d);
}

Family ToFamily(const Napi::Value& value) {
  const uint32_t family = ToU32(value, "family", 4, 6);
  if (family == 5) throw Napi::RangeError::New(value.Env(), "family must be 4 or 6");
  return static_cast<Family>(family);
}

unsigned AddressBytes(Family family) { return family == Family::kIpv4 ? 4 : 16; }

PeerId ToPeer(const Napi::Value& value) { return ToU32(value, "peer", 1, 0xffffffffu); }

Napi::Uint8Array ToBytes(const Napi::Value& value, const char* what) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(value.Env(), std::string(what) + " must be a Uint8Array");
  }
  return value.As<Napi::Uint8Array>();
}

const uint8_t* ToAddress(const Napi::Value& value, Family family) {
  Napi::Uint8Array bytes = ToBytes(value, "address");
  if (bytes.ByteLength() != AddressBytes(family)) {
    throw Napi::RangeError::New(value.Env(), "address must be " + std::to_string(AddressBytes(family)) + " bytes");
  }
  return bytes.Data();
}

struct Entry {
  Family family;
  uint8_t cidr;
  const uint8_t* address;
  PeerId peer;
};

Entry DecodeEntry(const uint8_t* raw) {
  // The peer id is little-endian whatever the host is.
  const uint8_t* p = raw + 18;
  const PeerId peer = static_cast<PeerId>(p[0]) | static_cast<PeerId>(p[1]) << 8 | static_cast<PeerId>(p[2]) << 16 |
         static_cast<PeerId>(p[3]) << 24;
  return {static_cast<Family>(raw[0]), raw[1], raw + 2, peer};
}

void EncodeEntry(Family family, const uint8_t* address, uint8_t cidr, PeerId peer, uint8_t* out) {
  out[0] = static_cast<uint8_t>(family);
  out[1] = cidr;
  std::memset(out + 2, 0, 16);
  std::memcpy(out + 2, address, AddressBytes(family));
  for (unsigned i = 0; i < 4; ++i) out[18 + i] = static_cast<uint8_t>(peer >> (8 * i));
}

// Checks a whole batch before any of it is applied, so a bad entry never half-applies it.
Napi::Uint8Array ToBatch(const Napi::Value& value) {
  Napi::Uint8Array batch = ToBytes(value, "batch");
  const size_t length = batch.ByteLength();
  if (length % kEntryBytes != 0) {
    throw Napi::RangeError::New(value.Env(), "batch length must be a multiple of 22 bytes");
  }
  for (size_t offset = 0; offset < length; offset += kEntryBytes) {
    const Entry entry = DecodeEntry(batch.Data() + offset);
    const std::string where = "batch entry " + std::to_string(offset / kEntryBytes) + ": ";
    if (entry.family != Family::kIpv4 && entry.family != Family::kIpv6) {
      throw Napi::RangeError::New(value.Env(), where + "family must be 4 or 6");
    }
    if (entry.cidr > AddressBytes(entry.family) * 8) throw Napi::RangeError::New(value.Env(), where + "cidr out of range");
    if (entry.peer == kNoPeer) throw Napi::RangeError::New(value.Env(), where + "peer must not be 0");
  }
  return batch;
}

// Applies fn to each entry of a checked batch. A batch over a SharedArrayBuffer may still change
// under us; the table then rejects the entry and the rejection becomes a RangeError.
// Entries applied per hold of the table's write lock: the data plane's lookups wait at most
// this long (about half a millisecond) while a million-prefix batch goes in.
constexpr size_t kEntriesPerLock = 2048;

// Applies fn to every entry of a batch already checked by ToBatch, taking the write lock once
// per chunk, so traffic keeps flowing during a bulk change.
template <typename Fn>
void ForEachEntryLocked(Napi::Env env, const Napi::Uint8Array& batch, std::shared_mutex& mutex, Fn fn) {
  const size_t count = batch.ByteLength() / kEntryBytes;
  try {
    for (size_t first = 0; first < count; first += kEntriesPerLock) {
      std::unique_lock lock(mutex);
      const size_t end = std::min(count, first + kEntriesPerLock);
      for (size_t i = first; i < end; ++i) fn(DecodeEntry(batch.Data() + i * kEntryBytes));
    }
  } catch (const std::invalid_argument& e) {
    throw Napi::RangeError::New(env, e.what());
  }
}

void CheckArgumentCount(const Napi::CallbackInfo& info, size_t count) {
  if (info.Length() < count) {
    throw Napi::TypeError::New(info.Env(), "expected " + std::to_string(count) + " arguments");
  }
}

class AllowedIpsWrap : public Napi::ObjectWrap<AllowedIpsWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "AllowedIps",
                       {
                           InstanceMethod<&AllowedIpsWrap::Insert>("insert"),
                           InstanceMethod<&AllowedIpsWrap::Remove>("remove"),
                           InstanceMethod<&AllowedIpsWrap::RemoveAll>("removeAll"),
                           InstanceMethod<&AllowedIpsWrap::Lookup>("lookup"),
                           InstanceMethod<&AllowedIpsWrap::Walk>("walk"),
                           InstanceMethod<&AllowedIpsWrap::Count>("count"),
                           InstanceMethod<&AllowedIpsWrap::MemoryBytes>("memoryBytes"),
                           InstanceMethod<&AllowedIpsWrap::InsertMany>("insertMany"),
                           InstanceMethod<&AllowedIpsWrap::RemoveMany>("removeMany"),
                           InstanceMethod<&AllowedIpsWrap::LookupMany>("lookupMany"),
                       });
  }

  explicit AllowedIpsWrap(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<AllowedIpsWrap>(info), shared_(std::make_shared<SharedAllowedIps>()) {
    info.This().As<Napi::Object>().TypeTag(&kAllowedIpsTag);
  }

  const std::shared_ptr<SharedAllowedIps>& shared() const { return shared_; }

 private:
  // insert(family, address, cidr, peer) -> previous owner or 0
  Napi::Value Insert(const Napi::CallbackInfo& info) {
    const Entry e = PrefixArguments(info);
    std::unique_lock lock(shared_->mutex);
    return Napi::Number::New(info.Env(), shared_->table.Insert(e.family, e.address, e.cidr, e.peer));
  }

  // remove(family, address, cidr, peer) -> whether peer owned that exact prefix
  Napi::Value Remove(const Napi::CallbackInfo& info) {
    const Entry e = PrefixArguments(info);
    std::unique_lock lock(shared_->mutex);
    return Napi::Boolean::New(info.Env(), shared_->table.Remove(e.family, e.address, e.cidr, e.peer));
  }

  // The (family, address, cidr, peer) arguments of insert and remove, checked.
  static Entry PrefixArguments(const Napi::CallbackInfo& info) {
    CheckArgumentCount(info, 4);
    const Family family = ToFamily(info[0]);
    const uint8_t* address = ToAddress(info[1], family);
    const uint32_t cidr = ToU32(info[2], "cidr", 0, AddressBytes(family) * 8);
    return {family, static_cast<uint8_t>(cidr), address, ToPeer(info[3])};
  }

  Napi::Value RemoveAll(const Napi::CallbackInfo& info) {
    CheckArgumentCount(info, 1);
    const PeerId peer = ToPeer(info[0]);
    std::unique_lock lock(shared_->mutex);
    return Napi::Number::New(info.Env(), static_cast<double>(shared_->table.RemoveAll(peer)));
  }

  Napi::Value Lookup(const Napi::CallbackInfo& info) {
    CheckArgumentCount(info, 2);
    const Family family = ToFamily(info[0]);
    const uint8_t* address = ToAddress(info[1], family);
    std::shared_lock lock(shared_->mutex);
    return Napi::Number::New(info.Env(), shared_->table.Lookup(family, address));
  }

  // walk(peer) -> Uint8Array of 22-byte entries
  Napi::Value Walk(const Napi::CallbackInfo& info) {
    CheckArgumentCount(info, 1);
    const PeerId peer = ToPeer(info[0]);
    std::vector<uint8_t> packed;
    {
      std::shared_lock lock(shared_->mutex);
      shared_->table.Walk(peer, [&packed, peer](Family family, const uint8_t* address, uint8_t cidr) {
        packed.resize(packed.size() + kEntryBytes);
        EncodeEntry(family, address, cidr, peer, packed.data() + packed.size() - kEntryBytes);
      });
    }
    Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), packed.size());
    if (!packed.empty()) std::memcpy(out.Data(), packed.data(), packed.size());
    return out;
  }

  Napi::Value Count(const Napi::CallbackInfo& info) {
    std::shared_lock lock(shared_->mutex);
    return Napi::Number::New(info.Env(), static_cast<double>(shared_->table.Count()));
  }

  Napi::Value MemoryBytes(const Napi::CallbackInfo& info) {
    std::shared_lock lock(shared_->mutex);
    return Napi::Number::New(info.Env(), static_cast<double>(shared_->table.MemoryBytes()));
  }

  // insertMany(batch) -> how many prefixes were new (the rest changed owner or stayed)
  Napi::Value InsertMany(const Napi::CallbackInfo& info) {
    CheckArgumentCount(info, 1);
    Napi::Uint8Array batch = ToBatch(info[0]);
    size_t added = 0;
    ForEachEntryLocked(info.Env(), batch, shared_->mutex, [&](const Entry& e) {
      if (shared_->table.Insert(e.family, e.address, e.cidr, e.peer) == kNoPeer) ++added;
    });
    return Napi::Number::New(info.Env(), static_cast<double>(added));
  }

  // removeMany(batch) -> how many prefixes were removed (each only if its entry's peer owned it)
  Napi::Value RemoveMany(const Napi::CallbackInfo& info) {
    CheckArgumentCount(info, 1);
    Napi::Uint8Array batch = ToBatch(info[0]);
    size_t removed = 0;
    ForEachEntryLocked(info.Env(), batch, shared_->mutex, [&](const Entry& e) {
      if (shared_->table.Remove(e.family, e.address, e.cidr, e.peer)) ++removed;
    });
    return Napi::Number::New(info.Env(), static_cast<double>(removed));
  }

  // lookupMany(family, addresses, out) -> how many matched; out[i] = owner of addresses[i] or 0
  Napi::Value LookupMany(const Napi::CallbackInfo& info) {
    CheckArgumentCount(info, 3);
    const Family family = ToFamily(info[0]);
    Napi::Uint8Array addresses = ToBytes(info[1], "addresses");
    const unsigned stride = AddressBytes(family);
    if (addresses.ByteLength() % stride != 0) {
      throw Napi::RangeError::New(info.Env(), "addresses length must be a multiple of " + std::to_string(stride));
    }
    if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
      throw Napi::TypeError::New(info.Env(), "out must be a Uint32Array");
    }
    Napi::Uint32Array out = info[2].As<Napi::Uint32Array>();
    const size_t count = addresses.ByteLength() / stride;
    if (out.ElementLength() < count) throw Napi::RangeError::New(info.Env(), "out is shorter than addresses");
    uint32_t* result = out.Data();
    {
      std::shared_lock lock(shared_->mutex);
      shared_->table.LookupMany(family, addresses.Data(), count, result);
    }
    size_t matched = 0;
    for (size_t i = 0; i < count; ++i) matched += result[i] != kNoPeer;
    return Napi::Number::New(info.Env(), static_cast<double>(matched));
  }

  std::shared_ptr<SharedAllowedIps> shared_;
};

}  // namespace

std::shared_ptr<SharedAllowedIps> UnwrapAllowedIps(const Napi::Value& value) {
  if (!value.IsObject() || !value.As<Napi::Object>().CheckTypeTag(&kAllowedIpsTag)) {
    throw Napi::TypeError::New(value.Env(), "expected a native AllowedIps object");
  }
  return AllowedIpsWrap::Unwrap(value.As<Napi::Object>())->shared();
}

void InitAllowedIps(Napi::Env env, Napi::Object exports) {
  exports.Set("AllowedIps", AllowedIpsWrap::Define(env));
}

}  // namespace viaguard::binding
