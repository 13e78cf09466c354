#!/usr/bin/env bash
# Installs the Debian packages the tests use (Apertium and its pairs) when they are missing and we may.
set -euo pipefail
cd "$(dirname "$0")/.."
for f in scripts/system-packages.d/*.sh; do
  [ -e "$f" ] || continue
  bash "$f"
done
