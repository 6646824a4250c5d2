// blake2s(data, key | null, outLength) -> Uint8Array: the data plane's BLAKE2s (mac1), exported
// so it is tested against RFC 7693 and an independent implementation.
#include "binding/modules.h"
#include "binding/napi_args.h"
#include "blake2s.h"

namespace viaguard::binding {
namespace {

Napi::Value Blake2sDigest(const Napi::CallbackInfo& info) {
  ByteView data = BytesArg(info, 0, "data");
  ByteView key = OptionalBytesArg(info, 1, "key");
  if (key.size > kBlake2sMaxKey) throw Napi::RangeError::New(info.Env(), "key must be at most 32 bytes");
  if (info.Length() < 3 || !info[2].IsNumber()) throw Napi::TypeError::New(info.Env(), "outLength must be a number");
  double outLength = info[2].As<Napi::Number>().DoubleValue();
  if (!(outLength >= 1 && outLength <= kBlake2sMaxOutput) || outLength != static_cast<size_t>(outLength)) {
    throw Napi::RangeError::New(info.Env(), "outLength must be an integer in 1..32");
  }
  Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), static_cast<size_t>(outLength));
  Blake2s(out.Data(), out.ByteLength(), key.data, key.size, data.data, data.size);
  return out;
}

}  // namespace

void InitBlake2s(Napi::Env env, Napi::Object exports) {
  exports.Set("blake2s", Napi::Function::New<Blake2sDigest>(env, "blake2s"));
}

}  // namespace viaguard::binding
