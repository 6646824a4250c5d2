// Each wrapped native concern registers its exports here; addon.cc calls them all.
#pragma once
#include <napi.h>

namespace viaguard::binding {

void InitNetlink(Napi::Env env, Napi::Object exports);

}  // namespace viaguard::binding
