#!/usr/bin/env bash
# Debian's Chromium for the console's browser tests (Playwright drives /usr/bin/chromium; it never
# downloads a browser of its own); without it the browser tests skip, saying why.
set -euo pipefail
exec bash "$(dirname "$0")/../install-debian-packages.sh" chromium.sh chromium
