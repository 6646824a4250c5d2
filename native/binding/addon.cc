// Entry point of the viaguard native addon: the only place that lists every wrapped concern.
#include "binding/modules.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  viaguard::binding::InitAllowedIps(env, exports);
  viaguard::binding::InitAead(env, exports);
  viaguard::binding::InitReplay(env, exports);
  viaguard::binding::InitDataPlane(env, exports);
  viaguard::binding::InitBlake2s(env, exports);
  viaguard::binding::InitNetlink(env, exports);
  viaguard::binding::InitProcessMemory(env, exports);
  viaguard::binding::InitInterfaceName(env, exports);
  viaguard::binding::InitHandshakeCrypto(env, exports);
  viaguard::binding::InitOffload(env, exports);
  viaguard::binding::InitIcmpError(env, exports);
  viaguard::binding::InitProtocolConstants(env, exports);
  viaguard::binding::InitSocketFilters(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(viaguard, Init)
