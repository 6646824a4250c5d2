#!/usr/bin/env bash
# The Debian/Ubuntu packages viaguard's build, demo, tests and benchmarks use: the one list that
# the README, .ci/run and the GitHub workflow install from. Add a package here, nowhere else.
#   scripts/system-packages.sh [all|tunnel]            prints the names, one per line
#   scripts/system-packages.sh --install [all|tunnel]  installs the missing ones with apt-get (root)
# "tunnel" is the part a throwaway tunnel needs (the GitHub Action, action.yml); "all" the default.
set -euo pipefail

tunnel=(
  # build of the addon (node-gyp)
  python3 make g++
  # WireGuard peers and tools the tests and the demo run against
  wireguard-tools wireguard-go iproute2 iputils-ping
)
packages=(
  "${tunnel[@]}"
  # what the privileged tests drive inside network namespaces
  tcpdump nftables iperf3 babeld bird2 socat netcat-openbsd
  # the manual pages' test renders them (groff) as man(1) does
  groff-base man-db
  # fuzzing and sanitizer builds (clang's libFuzzer and runtimes); OpenSSL headers for the standalone
  # fuzz build; Intel's ipsec-mb, the AVX-512 ChaCha20-Poly1305 the addon links when present
  clang-14 libclang-rt-14-dev llvm-14 libssl-dev libipsec-mb-dev
)

install=false
if [[ "${1:-}" == --install ]]; then
  install=true
  shift
fi
case "${1:-all}" in
  all) ;;
  tunnel) packages=("${tunnel[@]}") ;;
  *)
    echo "usage: scripts/system-packages.sh [--install] [all|tunnel]" >&2
    exit 1
    ;;
esac

if ! $install; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "system packages: all ${#packages[@]} installed"
  exit 0
fi
if ((EUID != 0)); then
  echo "system-packages.sh: installing ${missing[*]} needs root (run it with sudo)" >&2
  exit 1
fi
echo "system packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
