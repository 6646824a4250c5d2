// JS class `AllowedIps` over viaguard::AllowedIps. Other bindings (the data plane) accept the JS
// object and share its table through UnwrapAllowedIps.
#pragma once
#include <napi.h>

#include <memory>

#include "shared_allowed_ips.h"

namespace viaguard::binding {

// The table behind a JS AllowedIps object; throws a TypeError for anything else.
std::shared_ptr<SharedAllowedIps> UnwrapAllowedIps(const Napi::Value& value);

}  // namespace viaguard::binding
