// `interfaceName(index)`: if_indextoname(3), asked of the kernel in the caller's network
// namespace (sysfs may show another namespace's interfaces).
#include <net/if.h>

#include "binding/modules.h"
#include "binding/napi_args.h"

namespace viaguard::binding {

void InitInterfaceName(Napi::Env env, Napi::Object exports) {
  exports.Set("interfaceName", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "index must be a number");
                const double index = info[0].As<Napi::Number>().DoubleValue();
                if (!(index >= 1 && index <= 0xffffffff) || index != static_cast<double>(static_cast<uint32_t>(index))) {
                  throw Napi::RangeError::New(info.Env(), "index must be an integer 1..2^32-1");
                }
                char name[IF_NAMESIZE] = {};
                if (!if_indextoname(static_cast<unsigned>(index), name)) return info.Env().Undefined();
                return Napi::String::New(info.Env(), name);
              }));
}

}  // namespace viaguard::binding
