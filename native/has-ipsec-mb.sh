#!/bin/sh
# binding.gyp asks this whether to build the ipsec-mb ChaCha20-Poly1305 path: prints 1 when a
# program using libIPSec_MB >= 1.0 (Debian: libipsec-mb-dev) compiles and links, else 0.
# VIAGUARD_NO_IPSEC_MB=1 forces 0 (the OpenSSL-only build).
[ "${VIAGUARD_NO_IPSEC_MB:-0}" = 1 ] && { echo 0; exit 0; }
program='#include <intel-ipsec-mb.h>
#if IMB_VERSION_NUM < IMB_VERSION(1, 0, 0)
#error ChaCha20-Poly1305 needs ipsec-mb 1.0
#endif
int main(void) { return imb_get_version() == 0; }'
scratch=$(mktemp -d) || { echo 0; exit 0; }
if printf '%s\n' "$program" | ${CC:-cc} -x c - -o "$scratch/probe" -lIPSec_MB >/dev/null 2>&1; then
  echo 1
else
  echo 0
fi
rm -rf "$scratch"
