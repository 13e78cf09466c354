#!/usr/bin/env bash
# Apertium and the pairs the translation tests use. Quick and silent when everything is present; installs
# with apt-get when something is missing and we are root; otherwise says what to install and goes on
# (the Apertium tests then report the engine as missing instead of failing obscurely).
set -euo pipefail
PACKAGES=(apertium apertium-eng-spa apertium-fr-es apertium-es-pt)
missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "apertium.sh: missing Debian packages: ${missing[*]} (run as root: apt-get install -y ${missing[*]})" >&2
  exit 0
fi
echo "apertium.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
