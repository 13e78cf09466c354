#!/usr/bin/env bash
# Apertium and the pairs the translation tests use (en<->es directly; fr and pt through Spanish); without
# them the Apertium tests report the engine as missing instead of failing obscurely.
set -euo pipefail
exec bash "$(dirname "$0")/../install-debian-packages.sh" apertium.sh apertium apertium-eng-spa apertium-fr-es apertium-es-pt
