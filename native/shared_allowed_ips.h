// One AllowedIps table shared by the control plane (JS, through binding/allowedips_wrap) and the
// data plane threads: writers take the lock exclusively, lookups share it.
#pragma once
#include <shared_mutex>

#include "allowedips.h"

namespace viaguard {

struct SharedAllowedIps {
  mutable std::shared_mutex mutex;
  AllowedIps table;
};

}  // namespace viaguard
