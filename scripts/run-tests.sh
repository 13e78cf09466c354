#!/usr/bin/env bash
# Runs the whole suite. pytest's "no tests collected" (exit 5) is a failure here, never a silent pass.
#
# With no arguments, tests marked `waits` (the Matrix burst under Synapse's default limits: about 200 s
# of waiting out the homeserver's 0.2 messages/s, almost no CPU) run in a second pytest process beside
# the rest, which keeps `make test` within its time on two cores. With arguments, pytest gets them as is.
set -uo pipefail
cd "$(dirname "$0")/.."
PYTEST=(.venv/bin/python -m pytest -q -p no:cacheprovider)

status() {  # pytest's exit code, with "no tests ran" turned into a failure
  if [ "$1" -eq 5 ]; then echo "no tests ran ($2)" >&2; echo 1; else echo "$1"; fi
}

if [ "$#" -gt 0 ]; then
  "${PYTEST[@]}" "$@"
  exit "$(status $? "$*")"
fi

waits_log=$(mktemp)
"${PYTEST[@]}" -m waits >"$waits_log" 2>&1 &
waits_pid=$!
"${PYTEST[@]}" -m "not waits"
main_rc=$(status $? "the suite")
wait "$waits_pid"
waits_rc=$(status $? "tests marked waits")
echo "--- tests marked waits (run beside the rest) ---"
cat "$waits_log"
rm -f "$waits_log"
[ "$main_rc" -eq 0 ] && [ "$waits_rc" -eq 0 ]
