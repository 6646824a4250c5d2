// unreachableFor(packet) / unreachableForFrame(frame) -> Uint8Array | null: the data plane's
// ICMP/ICMPv6 destination-unreachable builder (icmp_error.h), exported so its answers are
// checked byte by byte.
#include <cstring>

#include "binding/modules.h"
#include "binding/napi_args.h"
#include "icmp_error.h"

namespace viaguard::binding {
namespace {

Napi::Value Answer(Napi::Env env, const uint8_t* answer, size_t size) {
  if (size == 0) return env.Null();
  Napi::Uint8Array out = Napi::Uint8Array::New(env, size);
  std::memcpy(out.Data(), answer, size);
  return out;
}

Napi::Value UnreachableFor(const Napi::CallbackInfo& info) {
  ByteView packet = BytesArg(info, 0, "packet");
  uint8_t answer[kMaxIcmpv6Error];
  return Answer(info.Env(), answer, BuildUnreachable(packet.data, packet.size, answer));
}

Napi::Value UnreachableForFrame(const Napi::CallbackInfo& info) {
  ByteView frame = BytesArg(info, 0, "frame");
  if (frame.size < kEthernetHeaderSize) {
    throw Napi::RangeError::New(info.Env(), "frame must hold at least an Ethernet header");
  }
  uint8_t answer[kMaxUnreachableFrame];
  return Answer(info.Env(), answer,
                BuildUnreachableFrame(frame.data, frame.size - kEthernetHeaderSize, answer));
}

}  // namespace

void InitIcmpError(Napi::Env env, Napi::Object exports) {
  exports.Set("unreachableFor", Napi::Function::New<UnreachableFor>(env, "unreachableFor"));
  exports.Set("unreachableForFrame", Napi::Function::New<UnreachableForFrame>(env, "unreachableForFrame"));
}

}  // namespace viaguard::binding
