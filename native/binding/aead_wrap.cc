// JavaScript class AeadKey: one ChaCha20-Poly1305 key held in C++, sealing and opening into
// caller-provided buffers, one packet per call or many packets laid out in one buffer; and
// aeadPaths(), the implementations this build and CPU can run (native/aead.h). Every method
// takes an optional last argument naming the path; without it the fastest runs.
#include <memory>
#include <string>
#include <vector>

#include "aead.h"
#include "binding/modules.h"
#include "binding/napi_args.h"

namespace viaguard::binding {

namespace {

constexpr size_t kTag = ChaChaPoly::kTagSize;

// Argument i: undefined for the fastest path, or the name of an available one.
AeadPath PathArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || info[i].IsUndefined()) return DefaultAeadPath();
  if (!info[i].IsString()) throw Napi::TypeError::New(info.Env(), "path must be a string");
  const std::string name = info[i].As<Napi::String>().Utf8Value();
  for (AeadPath path : AvailableAeadPaths()) {
    if (name == AeadPathName(path)) return path;
  }
  throw Napi::RangeError::New(info.Env(), "AEAD path '" + name + "' is not available here");
}

Napi::Value AeadPaths(const Napi::CallbackInfo& info) {
  const std::vector<AeadPath>& paths = AvailableAeadPaths();
  Napi::Array names = Napi::Array::New(info.Env(), paths.size());
  for (size_t i = 0; i < paths.size(); ++i) {
    names.Set(static_cast<uint32_t>(i), Napi::String::New(info.Env(), AeadPathName(paths[i])));
  }
  return names;
}

class AeadKey : public Napi::ObjectWrap<AeadKey> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "AeadKey",
                       {
                           InstanceMethod<&AeadKey::Seal<false>>("seal"),
                           InstanceMethod<&AeadKey::Open<false>>("open"),
                           InstanceMethod<&AeadKey::Seal<true>>("sealWithNonce"),
                           InstanceMethod<&AeadKey::Open<true>>("openWithNonce"),
                           InstanceMethod<&AeadKey::SealMany>("sealMany"),
                           InstanceMethod<&AeadKey::OpenMany>("openMany"),
                           InstanceMethod<&AeadKey::Destroy>("destroy"),
                       });
  }

  explicit AeadKey(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AeadKey>(info) {
    const ByteView key = BytesArg(info, 0, "key");
    if (key.size != ChaChaPoly::kKeySize) {
      throw Napi::RangeError::New(info.Env(), "key must be 32 bytes");
    }
    Guarded(info.Env(), [&] { cipher_ = std::make_unique<ChaChaPoly>(key.data); });
  }

 private:
  ChaChaPoly& Cipher(const Napi::Env& env) {
    if (!cipher_) throw Napi::Error::New(env, "AeadKey has been destroyed");
    return *cipher_;
  }

  // Argument 0 is a bigint counter (WireGuard nonce) or, with kRawNonce, a 12-byte nonce.
  template <bool kRawNonce>
  static void ReadNonce(const Napi::CallbackInfo& info, uint64_t& counter,
                        const uint8_t*& nonce) {
    if (kRawNonce) {
      const ByteView n = BytesArg(info, 0, "nonce");
      if (n.size != ChaChaPoly::kNonceSize) {
        throw Napi::RangeError::New(info.Env(), "nonce must be 12 bytes");
      }
      nonce = n.data;
    } else {
      counter = U64Arg(info, 0, "counter");
    }
  }

  // seal(counter | nonce, plaintext, ad | null, dst, path?): dst receives plaintext.length + 16
  // bytes.
  template <bool kRawNonce>
  Napi::Value Seal(const Napi::CallbackInfo& info) {
    uint64_t counter = 0;
    const uint8_t* nonce = nullptr;
    ReadNonce<kRawNonce>(info, counter, nonce);
    const ByteView src = BytesArg(info, 1, "plaintext");
    const ByteView ad = OptionalBytesArg(info, 2, "ad");
    const ByteView dst = BytesArg(info, 3, "dst");
    if (dst.size < src.size + kTag) {
      throw Napi::RangeError::New(info.Env(), "dst must hold plaintext.length + 16 bytes");
    }
    if (!SameOrDisjoint(src, dst)) {
      throw Napi::RangeError::New(info.Env(), "dst must start at plaintext or not overlap it");
    }
    const AeadPath path = PathArg(info, 4);
    ChaChaPoly& cipher = Cipher(info.Env());
    Guarded(info.Env(), [&] {
      if (kRawNonce) {
        cipher.SealWithNonce(nonce, src.data, src.size, ad.data, ad.size, dst.data, path);
      } else {
        cipher.Seal(counter, src.data, src.size, ad.data, ad.size, dst.data, path);
      }
    });
    return info.Env().Undefined();
  }

  // open(counter | nonce, sealed, ad | null, dst, path?) -> boolean: dst receives
  // sealed.length - 16 bytes; false when the packet is shorter than a tag or does not
  // authenticate.
  template <bool kRawNonce>
  Napi::Value Open(const Napi::CallbackInfo& info) {
    uint64_t counter = 0;
    const uint8_t* nonce = nullptr;
    ReadNonce<kRawNonce>(info, counter, nonce);
    const ByteView src = BytesArg(info, 1, "sealed");
    const ByteView ad = OptionalBytesArg(info, 2, "ad");
    const ByteView dst = BytesArg(info, 3, "dst");
    if (src.size >= kTag && dst.size < src.size - kTag) {
      throw Napi::RangeError::New(info.Env(), "dst must hold sealed.length - 16 bytes");
    }
    if (!SameOrDisjoint(src, dst)) {
      throw Napi::RangeError::New(info.Env(), "dst must start at sealed or not overlap it");
    }
    const AeadPath path = PathArg(info, 4);
    ChaChaPoly& cipher = Cipher(info.Env());
    const bool ok = Guarded(info.Env(), [&] {
      return kRawNonce
                 ? cipher.OpenWithNonce(nonce, src.data, src.size, ad.data, ad.size, dst.data, path)
                 : cipher.Open(counter, src.data, src.size, ad.data, ad.size, dst.data, path);
    });
    return Napi::Boolean::New(info.Env(), ok);
  }

  struct Batch {
    Napi::BigUint64Array counters;
    ByteView src;
    Napi::Uint32Array lengths;
    ByteView dst;
    size_t srcTotal;
  };

  // Common arguments of sealMany/openMany: (counters, src, lengths, dst). The packets lie back
  // to back in src; their lengths must fit in src.
  static Batch ReadBatch(const Napi::CallbackInfo& info) {
    Batch b{TypedArg<uint64_t, napi_biguint64_array>(info, 0, "counters", "BigUint64Array"),
            BytesArg(info, 1, "src"),
            TypedArg<uint32_t, napi_uint32_array>(info, 2, "lengths", "Uint32Array"),
            BytesArg(info, 3, "dst"), 0};
    if (b.counters.ElementLength() != b.lengths.ElementLength()) {
      throw Napi::RangeError::New(info.Env(), "counters and lengths must have the same length");
    }
    for (size_t i = 0; i < b.lengths.ElementLength(); ++i) b.srcTotal += b.lengths[i];
    if (b.srcTotal > b.src.size) {
      throw Napi::RangeError::New(info.Env(), "the lengths add up to more than src holds");
    }
    return b;
  }

  // The batch as AeadPackets: packets lie back to back in src; in dst each takes dstGrowth
  // bytes more than in src.
  static std::vector<AeadPacket> Packets(const Batch& b, size_t dstGrowth) {
    const size_t n = b.lengths.ElementLength();
    std::vector<AeadPacket> packets(n);
    size_t in = 0;
    size_t out = 0;
    for (size_t i = 0; i < n; ++i) {
      const size_t len = b.lengths[i];
      packets[i] = {b.counters[i], b.src.data + in, len, b.dst.data + out};
      in += len;
      out += len + dstGrowth;
    }
    return packets;
  }

  // sealMany(counters, src, lengths, dst, path?): packet i (lengths[i] bytes of src) is sealed
  // with counters[i]; the sealed packets (each 16 bytes longer) lie back to back in dst, which
  // must not overlap src.
  Napi::Value SealMany(const Napi::CallbackInfo& info) {
    const Batch b = ReadBatch(info);
    const size_t n = b.lengths.ElementLength();
    if (b.dst.size < b.srcTotal + n * kTag) {
      throw Napi::RangeError::New(info.Env(), "dst must hold the packets plus 16 bytes each");
    }
    if (!Disjoint(b.src, b.dst)) {
      throw Napi::RangeError::New(info.Env(), "dst must not overlap src");
    }
    const AeadPath path = PathArg(info, 4);
    ChaChaPoly& cipher = Cipher(info.Env());
    const std::vector<AeadPacket> packets = Packets(b, kTag);
    Guarded(info.Env(), [&] { cipher.SealMany(packets.data(), n, path); });
    return info.Env().Undefined();
  }

  // openMany(counters, src, lengths, dst, ok, path?) -> number: packet i (lengths[i] sealed
  // bytes of src) is opened with counters[i] into dst at the same offset it has in src (so dst
  // may be src itself); ok[i] becomes 1 or 0. Returns how many packets authenticated.
  Napi::Value OpenMany(const Napi::CallbackInfo& info) {
    const Batch b = ReadBatch(info);
    const ByteView ok = BytesArg(info, 4, "ok");
    const size_t n = b.lengths.ElementLength();
    if (ok.size < n) throw Napi::RangeError::New(info.Env(), "ok must hold one byte per packet");
    if (b.dst.size < b.srcTotal) {
      throw Napi::RangeError::New(info.Env(), "dst must be at least as long as the packets");
    }
    if (!SameOrDisjoint(b.src, b.dst) || !Disjoint(ok, b.src) || !Disjoint(ok, b.dst)) {
      throw Napi::RangeError::New(info.Env(), "dst must be src or not overlap it; ok apart");
    }
    const AeadPath path = PathArg(info, 5);
    ChaChaPoly& cipher = Cipher(info.Env());
    const std::vector<AeadPacket> packets = Packets(b, 0);
    const size_t opened =
        Guarded(info.Env(), [&] { return cipher.OpenMany(packets.data(), n, ok.data, path); });
    return Napi::Number::New(info.Env(), static_cast<double>(opened));
  }

  // Frees the key material now instead of at garbage collection.
  Napi::Value Destroy(const Napi::CallbackInfo& info) {
    cipher_.reset();
    return info.Env().Undefined();
  }

  std::unique_ptr<ChaChaPoly> cipher_;
};

}  // namespace

void InitAead(Napi::Env env, Napi::Object exports) {
  exports.Set("AeadKey", AeadKey::Define(env));
  exports.Set("aeadPaths", Napi::Function::New<AeadPaths>(env, "aeadPaths"));
}

}  // namespace viaguard::binding
