// `trimMemory()`: hands the C heap's free pages back to the kernel (glibc malloc_trim). After a
// full-table update, the buffers that carried a million prefixes are free but still resident;
// without this the daemon's RSS keeps the high-water mark of its largest update.
#include <malloc.h>

#include "binding/modules.h"

namespace viaguard::binding {

void InitProcessMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("trimMemory", Napi::Function::New(env, [](const Napi::CallbackInfo& info) {
                return Napi::Boolean::New(info.Env(), malloc_trim(0) == 1);
              }));
}

}  // namespace viaguard::binding
