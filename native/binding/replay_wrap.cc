// JavaScript class ReplayWindow: the RFC 6479 anti-replay window of one receiving key.
#include "binding/modules.h"
#include "binding/napi_args.h"
#include "replay.h"

namespace viaguard::binding {

namespace {

class ReplayWindowWrap : public Napi::ObjectWrap<ReplayWindowWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ReplayWindow",
                       {
                           InstanceMethod<&ReplayWindowWrap::Accept>("accept"),
                           InstanceMethod<&ReplayWindowWrap::Reset>("reset"),
                       });
  }

  explicit ReplayWindowWrap(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<ReplayWindowWrap>(info) {}

 private:
  // accept(counter: bigint, limit?: bigint) -> boolean
  Napi::Value Accept(const Napi::CallbackInfo& info) {
    const uint64_t counter = U64Arg(info, 0, "counter");
    const uint64_t limit = info.Length() > 1 && !info[1].IsUndefined()
                               ? U64Arg(info, 1, "limit")
                               : kRejectAfterMessages;
    return Napi::Boolean::New(info.Env(), window_.Accept(counter, limit));
  }

  Napi::Value Reset(const Napi::CallbackInfo& info) {
    window_.Reset();
    return info.Env().Undefined();
  }

  ReplayWindow window_;
};

}  // namespace

void InitReplay(Napi::Env env, Napi::Object exports) {
  exports.Set("ReplayWindow", ReplayWindowWrap::Define(env));
}

}  // namespace viaguard::binding
