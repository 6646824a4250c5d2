// The handshake's primitives for src/protocol's native Crypto: class X25519Key (a private key
// that stays in C++), blake2sInto, hmacBlake2sInto and hkdfBlake2sInto, the last computing all n
// outputs of WireGuard's KDF in one call. Every result goes into a caller-provided array: the
// TypeScript wrapper hands out slices of shared preallocated slabs, because allocating a fresh
// ArrayBuffer per result, here or as an input from JavaScript, costs more than the hash itself.
// Each primitive reads all of its inputs before it writes out, so out may overlap them.
#include <openssl/crypto.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "binding/modules.h"
#include "binding/napi_args.h"
#include "blake2s.h"
#include "hmac_blake2s.h"
#include "x25519.h"

namespace viaguard::binding {

namespace {

constexpr size_t kKey = X25519Key::kSize;

ByteView SizedArg(const Napi::CallbackInfo& info, size_t i, const char* name, size_t size) {
  const ByteView bytes = BytesArg(info, i, name);
  if (bytes.size != size) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + " must be " + std::to_string(size) + " bytes");
  }
  return bytes;
}

// new X25519Key() generates a key pair; new X25519Key(privateKey) imports one.
class X25519KeyWrap : public Napi::ObjectWrap<X25519KeyWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "X25519Key",
                       {
                           InstanceMethod<&X25519KeyWrap::PublicKey>("publicKey"),
                           InstanceMethod<&X25519KeyWrap::Dh>("dh"),
                           InstanceMethod<&X25519KeyWrap::Destroy>("destroy"),
                       });
  }

  explicit X25519KeyWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<X25519KeyWrap>(info) {
    if (info.Length() == 0 || info[0].IsUndefined()) {
      key_ = Guarded(info.Env(), [] { return X25519Key::Generate(); });
    } else {
      const ByteView raw = SizedArg(info, 0, "privateKey", kKey);
      key_ = Guarded(info.Env(), [&] { return X25519Key::FromPrivate(raw.data); });
    }
  }

 private:
  // publicKey(out): out (32 bytes) receives the public key.
  Napi::Value PublicKey(const Napi::CallbackInfo& info) {
    const ByteView out = SizedArg(info, 0, "out", kKey);
    std::memcpy(out.data, key_->PublicKey(), kKey);
    return info.Env().Undefined();
  }

  // dh(publicKey, out) -> false, out zeroed, when the shared secret is all zero (low order).
  Napi::Value Dh(const Napi::CallbackInfo& info) {
    const ByteView peer = SizedArg(info, 0, "publicKey", kKey);
    const ByteView out = SizedArg(info, 1, "out", kKey);
    if (!key_) throw Napi::Error::New(info.Env(), "this X25519 key was destroyed");
    const bool ok = Guarded(info.Env(), [&] { return key_->Derive(peer.data, out.data); });
    return Napi::Boolean::New(info.Env(), ok);
  }

  // destroy(): frees the private key now (OpenSSL clears its bytes) instead of at garbage
  // collection. Idempotent; dh() throws afterwards.
  Napi::Value Destroy(const Napi::CallbackInfo& info) {
    key_.reset();
    return info.Env().Undefined();
  }

  std::unique_ptr<X25519Key> key_;
};

// blake2sInto(out, key | null, ...parts): out (1..32 bytes) receives BLAKE2s of the parts'
// concatenation, keyed with up to 32 bytes when key is given.
Napi::Value Blake2sInto(const Napi::CallbackInfo& info) {
  const ByteView out = BytesArg(info, 0, "out");
  if (out.size < 1 || out.size > kBlake2sMaxOutput) throw Napi::RangeError::New(info.Env(), "out must be 1..32 bytes");
  const ByteView key = OptionalBytesArg(info, 1, "key");
  if (key.size > kBlake2sMaxKey) throw Napi::RangeError::New(info.Env(), "key must be at most 32 bytes");
  // The parts are joined on the stack while they fit (handshake messages do).
  uint8_t stack[256];
  std::vector<uint8_t> heap;
  uint8_t* joined = stack;
  size_t capacity = sizeof stack;
  size_t total = 0;
  for (size_t i = 2; i < info.Length(); ++i) {
    const ByteView part = BytesArg(info, i, "every part");
    if (part.size > capacity - total) {
      if (heap.empty()) heap.assign(stack, stack + total);
      heap.resize(total + part.size);
      joined = heap.data();
      capacity = heap.size();
    }
    if (part.size > 0) std::memcpy(joined + total, part.data, part.size);
    total += part.size;
  }
  Blake2s(out.data, out.size, key.data, key.size, joined, total);
  OPENSSL_cleanse(stack, sizeof stack);
  if (!heap.empty()) OPENSSL_cleanse(heap.data(), heap.size());
  return info.Env().Undefined();
}

// hmacBlake2sInto(out, key, data): out (32 bytes) receives HMAC-BLAKE2s(key, data).
Napi::Value HmacBlake2sInto(const Napi::CallbackInfo& info) {
  const ByteView out = SizedArg(info, 0, "out", kHmacBlake2sSize);
  const ByteView key = BytesArg(info, 1, "key");
  const ByteView data = BytesArg(info, 2, "data");
  HmacBlake2s(out.data, key.data, key.size, data.data, data.size);
  return info.Env().Undefined();
}

// hkdfBlake2sInto(out, key, input): out (32, 64 or 96 bytes) receives KDF_n(key, input) for
// n = out.length / 32, the outputs back to back.
Napi::Value HkdfBlake2sInto(const Napi::CallbackInfo& info) {
  const ByteView out = BytesArg(info, 0, "out");
  const size_t n = out.size / kHmacBlake2sSize;
  if (out.size % kHmacBlake2sSize != 0 || n < 1 || n > kHkdfMaxOutputs) {
    throw Napi::RangeError::New(info.Env(), "out must be 32, 64 or 96 bytes");
  }
  const ByteView key = BytesArg(info, 1, "key");
  const ByteView input = BytesArg(info, 2, "input");
  HkdfBlake2s(out.data, n, key.data, key.size, input.data, input.size);
  return info.Env().Undefined();
}

}  // namespace

void InitHandshakeCrypto(Napi::Env env, Napi::Object exports) {
  exports.Set("X25519Key", X25519KeyWrap::Define(env));
  exports.Set("blake2sInto", Napi::Function::New<Blake2sInto>(env, "blake2sInto"));
  exports.Set("hmacBlake2sInto", Napi::Function::New<HmacBlake2sInto>(env, "hmacBlake2sInto"));
  exports.Set("hkdfBlake2sInto", Napi::Function::New<HkdfBlake2sInto>(env, "hkdfBlake2sInto"));
}

}  // namespace viaguard::binding
