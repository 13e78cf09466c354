#!/usr/bin/env bash
# Make sure `.cache/synapse-venv` holds a working Synapse for the Matrix tests.
#
# Synapse gets a virtual environment of its own, never the project's: its pins (Twisted, pydantic,
# ...) must not decide which versions the relay runs with. The check is an import of the homeserver
# module, so a run with the environment in place takes a second; a missing or broken one is rebuilt
# from scratch (about 11 s and 240 MB here).
#
# Usage: scripts/ensure-synapse.sh            (from anywhere; paths are relative to the repo root)
# Environment: PYTHON (default python3) builds the environment; SYNAPSE_SPEC (default matrix-synapse)
# is what pip installs, e.g. "matrix-synapse==1.163.0" to pin it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.cache/synapse-venv"
PYTHON="${PYTHON:-python3}"
SPEC="${SYNAPSE_SPEC:-matrix-synapse}"

works() {
    [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "import synapse.app.homeserver" >/dev/null 2>&1
}

if works; then
    exit 0
fi

echo "ensure-synapse: building $VENV with $SPEC" >&2
rm -rf "$VENV"
mkdir -p "$ROOT/.cache"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip
"$VENV/bin/pip" install -q --disable-pip-version-check "$SPEC"

if ! works; then
    echo "ensure-synapse: $VENV was built but 'import synapse.app.homeserver' still fails" >&2
    exit 1
fi
echo "ensure-synapse: $("$VENV/bin/python" -c 'import synapse; print("Synapse", synapse.__version__)') ready" >&2
