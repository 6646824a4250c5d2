// The handshake's primitives for src/protocol's native Crypto: class X25519Key (a private key
// that stays in C++), blake2sHash(...parts), hmacBlake2s(key, data) and hkdfBlake2s(key, input,
// n), the last computing all n outputs of WireGuard's KDF in one call.
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

Napi::Uint8Array CopyOut(const Napi::Env& env, const uint8_t* bytes, size_t size) {
  Napi::Uint8Array out = Napi::Uint8Array::New(env, size);
  std::memcpy(out.Data(), bytes, size);
  return out;
}

ByteView KeyArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const ByteView key = BytesArg(info, i, name);
  if (key.size != kKey) throw Napi::RangeError::New(info.Env(), std::string(name) + " must be 32 bytes");
  return key;
}

// new X25519Key() generates a key pair; new X25519Key(privateKey) imports one.
class X25519KeyWrap : public Napi::ObjectWrap<X25519KeyWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "X25519Key",
                       {
                           InstanceMethod<&X25519KeyWrap::PublicKey>("publicKey"),
                           InstanceMethod<&X25519KeyWrap::Dh>("dh"),
                       });
  }

  explicit X25519KeyWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<X25519KeyWrap>(info) {
    if (info.Length() == 0 || info[0].IsUndefined()) {
      key_ = Guarded(info.Env(), [] { return X25519Key::Generate(); });
    } else {
      const ByteView raw = KeyArg(info, 0, "privateKey");
      key_ = Guarded(info.Env(), [&] { return X25519Key::FromPrivate(raw.data); });
    }
  }

 private:
  // publicKey() -> a fresh 32-byte copy
  Napi::Value PublicKey(const Napi::CallbackInfo& info) {
    return CopyOut(info.Env(), key_->PublicKey(), kKey);
  }

  // dh(publicKey) -> 32-byte shared secret, or undefined for a low-order public key
  Napi::Value Dh(const Napi::CallbackInfo& info) {
    const ByteView peer = KeyArg(info, 0, "publicKey");
    Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), kKey);
    const bool ok = Guarded(info.Env(), [&] { return key_->Derive(peer.data, out.Data()); });
    return ok ? static_cast<Napi::Value>(out) : info.Env().Undefined();
  }

  std::unique_ptr<X25519Key> key_;
};

// blake2sHash(...parts) -> BLAKE2s-256 of the parts' concatenation
Napi::Value Blake2sHash(const Napi::CallbackInfo& info) {
  std::vector<ByteView> parts;
  parts.reserve(info.Length());
  size_t total = 0;
  for (size_t i = 0; i < info.Length(); ++i) {
    parts.push_back(BytesArg(info, i, "every part"));
    total += parts.back().size;
  }
  std::vector<uint8_t> joined(total);
  size_t offset = 0;
  for (const ByteView& part : parts) {
    if (part.size > 0) std::memcpy(joined.data() + offset, part.data, part.size);
    offset += part.size;
  }
  Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), kBlake2sMaxOutput);
  Blake2s(out.Data(), out.ByteLength(), nullptr, 0, joined.data(), joined.size());
  return out;
}

// hmacBlake2s(key, data) -> 32 bytes
Napi::Value HmacBlake2sDigest(const Napi::CallbackInfo& info) {
  const ByteView key = BytesArg(info, 0, "key");
  const ByteView data = BytesArg(info, 1, "data");
  Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), kHmacBlake2sSize);
  HmacBlake2s(out.Data(), key.data, key.size, data.data, data.size);
  return out;
}

// hkdfBlake2s(key, input, n) -> n outputs of 32 bytes back to back
Napi::Value HkdfBlake2sDerive(const Napi::CallbackInfo& info) {
  const ByteView key = BytesArg(info, 0, "key");
  const ByteView input = BytesArg(info, 1, "input");
  if (info.Length() < 3 || !info[2].IsNumber()) throw Napi::TypeError::New(info.Env(), "n must be a number");
  const double n = info[2].As<Napi::Number>().DoubleValue();
  if (!(n == 1 || n == 2 || n == 3)) throw Napi::RangeError::New(info.Env(), "n must be 1, 2 or 3");
  const size_t outputs = static_cast<size_t>(n);
  Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), outputs * kHmacBlake2sSize);
  HkdfBlake2s(out.Data(), outputs, key.data, key.size, input.data, input.size);
  return out;
}

}  // namespace

void InitHandshakeCrypto(Napi::Env env, Napi::Object exports) {
  exports.Set("X25519Key", X25519KeyWrap::Define(env));
  exports.Set("blake2sHash", Napi::Function::New<Blake2sHash>(env, "blake2sHash"));
  exports.Set("hmacBlake2s", Napi::Function::New<HmacBlake2sDigest>(env, "hmacBlake2s"));
  exports.Set("hkdfBlake2s", Napi::Function::New<HkdfBlake2sDerive>(env, "hkdfBlake2s"));
}

}  // namespace viaguard::binding
