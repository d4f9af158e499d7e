#!/usr/bin/env bash
# Prints, one per line, the Debian packages that hold the shared libraries a
# binary is linked against (ldd + dpkg -S). The Dockerfile's build stage runs it
# on build/wachtpost and the runtime stage installs the list on top of its own,
# so a library added to the build later (src/ and CMakeLists.txt change) is not
# missing at run time.
# Usage: runtime-packages.sh BINARY
set -euo pipefail
binary=${1:?usage: runtime-packages.sh BINARY}

missing=$(ldd "$binary" | awk '/not found/ {print $1}')
if [ -n "$missing" ]; then
  echo "runtime-packages: unresolved libraries: $missing" >&2
  exit 1
fi

ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | while read -r lib; do
  real=$(readlink -f "$lib")
  # Debian 12 is merged-/usr: a library may be registered under /lib or /usr/lib.
  owner=""
  for candidate in "$lib" "$real" "/usr${lib}" "${lib#/usr}" "/usr${real}" "${real#/usr}"; do
    if owner=$(dpkg -S "$candidate" 2>/dev/null); then break; fi
    owner=""
  done
  if [ -z "$owner" ]; then
    echo "runtime-packages: no package owns $lib" >&2
    exit 1
  fi
  # "libfoo1:amd64: /usr/lib/..." (or "a, b: path" for a shared path)
  printf '%s\n' "${owner%%: /*}" | tr ',' '\n' | sed 's/^ *//; s/:.*$//'
done | sort -u
