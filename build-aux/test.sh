#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs what is missing, builds Dynamo Release and runs the whole test suite. Each test
# that needs them starts its own D-Bus session, keyring and Xvfb server. Ends with the line
# "N passed, N failed". Extra arguments go to `meson test`, for example a test name.
set -eu

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir="$source_dir/_build"

"$source_dir/build-aux/install-deps.sh"

if [ ! -f "$build_dir/build.ninja" ]; then
  meson setup "$build_dir" "$source_dir"
fi
meson compile -C "$build_dir"

status=0
meson test -C "$build_dir" --print-errorlogs --num-processes 2 "$@" || status=$?

# Count the results from meson's own log, one JSON object per test.
python3 - "$build_dir/meson-logs/testlog.json" <<'PY'
import json
import sys

passed = failed = skipped = 0
with open(sys.argv[1], encoding="utf-8") as log:
    for line in log:
        if not line.strip():
            continue
        result = json.loads(line)["result"]
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
if skipped:
    print(f"{skipped} skipped")
print(f"{passed} passed, {failed} failed")
PY

exit "$status"
