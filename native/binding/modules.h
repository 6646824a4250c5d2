// Each wrapped native concern registers its exports here; addon.cc calls them all.
#pragma once
#include <napi.h>

namespace viaguard::binding {

void InitAllowedIps(Napi::Env env, Napi::Object exports);
void InitAead(Napi::Env env, Napi::Object exports);
void InitReplay(Napi::Env env, Napi::Object exports);
void InitDataPlane(Napi::Env env, Napi::Object exports);
void InitBlake2s(Napi::Env env, Napi::Object exports);
void InitNetlink(Napi::Env env, Napi::Object exports);
void InitProcessMemory(Napi::Env env, Napi::Object exports);
void InitInterfaceName(Napi::Env env, Napi::Object exports);
void InitHandshakeCrypto(Napi::Env env, Napi::Object exports);
void InitOffload(Napi::Env env, Napi::Object exports);
void InitIcmpError(Napi::Env env, Napi::Object exports);
void InitProtocolConstants(Napi::Env env, Napi::Object exports);
void InitSocketFilters(Napi::Env env, Napi::Object exports);

}  // namespace viaguard::binding
