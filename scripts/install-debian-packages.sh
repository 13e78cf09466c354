#!/usr/bin/env bash
# Usage: install-debian-packages.sh NAME PACKAGE...  (called by scripts/system-packages.d/*.sh)
# Quick and silent when every package is present; installs with apt-get when something is missing and we
# are root; otherwise says what to install and goes on (the tests that need it then skip, saying why).
set -euo pipefail
name="$1"; shift
missing=()
for pkg in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "$name: missing Debian packages: ${missing[*]} (run as root: apt-get install -y ${missing[*]})" >&2
  exit 0
fi
echo "$name: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; }
