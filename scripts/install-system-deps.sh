#!/usr/bin/env bash
# Installs the Debian packages the browser test needs: chromium (driven by playwright-core)
# and ffmpeg (turns the shared video clip into a fake camera). Idempotent: does nothing when
# /usr/bin/chromium and /usr/bin/ffmpeg are both there. Run as root (Debian 12).
set -euo pipefail

declare -A BINARY_OF=([chromium]=/usr/bin/chromium [ffmpeg]=/usr/bin/ffmpeg)
missing=()
for pkg in chromium ffmpeg; do
  bin="${BINARY_OF[$pkg]}"
  if [[ -x "$bin" ]]; then
    echo "install-system-deps: $pkg already present ($bin)"
  else
    echo "install-system-deps: $pkg missing ($bin not found)"
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-system-deps: nothing to install"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-system-deps: must run as root to install: ${missing[*]}" >&2
    exit 1
  fi
else
  SUDO=()
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-system-deps: apt-get update"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
echo "install-system-deps: apt-get install ${missing[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"

for pkg in "${missing[@]}"; do
  bin="${BINARY_OF[$pkg]}"
  if [[ ! -x "$bin" ]]; then
    echo "install-system-deps: $pkg installed but $bin is still missing" >&2
    exit 1
  fi
  echo "install-system-deps: installed $pkg ($bin)"
done
