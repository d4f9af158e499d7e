#!/usr/bin/env bash
# Installs the Debian 12 packages wachtpost needs to build and test.
# Idempotent: packages already present are not touched, and apt is not
# contacted at all when nothing is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config libssl-dev
  librdkafka-dev libboost-dev libsimdjson-dev libhyperscan-dev
  prometheus-cpp-dev libutf8proc-dev libyaml-cpp-dev libcli11-dev
  libspdlog-dev libgtest-dev libgmock-dev libbenchmark-dev kcat
  python3 python3-jsonschema
  # The desk's browser test: Debian's headless Chromium, driven over WebDriver.
  chromium chromium-driver
  # Benchmarks (bench/run): the peers measured beside wachtpost.
  libre2-dev libpcre2-dev python3-confluent-kafka
  # Hardening: libFuzzer targets (tests/fuzz) are built with Debian's clang.
  clang libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
