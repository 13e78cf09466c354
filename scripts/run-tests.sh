#!/usr/bin/env bash
# Runs the whole suite. pytest's "no tests collected" (exit 5) is a failure here, never a silent pass.
#
# With no arguments, the suite runs in RELAY_TEST_WORKERS (default 3) pytest-xdist processes, and tests
# marked `waits` (the Matrix burst under Synapse's default limits: about 200 s of waiting out the
# homeserver's 0.2 messages/s, almost no CPU) run in another pytest process beside them. With arguments,
# pytest gets them as is (one process).
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
# Three worker processes on two cores: most tests spend their time waiting on a server, a subprocess or a
# simulated clock. worksteal keeps a worker from idling while another holds the few multi-minute tests.
"${PYTEST[@]}" -m "not waits" -n "${RELAY_TEST_WORKERS:-3}" --dist worksteal --durations=15
main_rc=$(status $? "the suite")
wait "$waits_pid"
waits_rc=$(status $? "tests marked waits")
echo "--- tests marked waits (run beside the rest) ---"
cat "$waits_log"
rm -f "$waits_log"
[ "$main_rc" -eq 0 ] && [ "$waits_rc" -eq 0 ]
