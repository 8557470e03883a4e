#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Measures how long Dynamo Release takes from launch until its main window is visible, next to
# a minimal libadwaita window measured the same way, and prints every sample, the median of
# each and the ratio of the medians. Runs under tests/with-display.sh, which provides the X
# server. Fails only when a window does not show within the time limit or a program exits
# early, never on timing.
#
# Usage: first-frame.sh MINIMAL_WINDOW DYNAMO_RELEASE SOURCE_DIR
# DYNAMO_BENCH_ROUNDS sets the number of measured rounds (11 unless set).
set -eu

minimal_window=$1
dynamo_release=$2
source_dir=$3
rounds=${DYNAMO_BENCH_ROUNDS:-11}
target_ratio=1.3
# A window that has not shown after this many milliseconds counts as a failure.
limit_ms=30000

scratch=$(mktemp -d "${TMPDIR:-/tmp}/dynamo-first-frame.XXXXXX")
running_pid=
cleanup() {
  if [ -n "$running_pid" ]; then
    kill "$running_pid" 2>/dev/null || true
    wait "$running_pid" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT

# Microseconds since the epoch, read from bash itself so that no process is started.
now_us() {
  local now=${EPOCHREALTIME/[.,]/}
  echo "$now"
}

# Launches one program with a fresh HOME and in-memory settings, polls every 5 ms until a
# visible window whose title matches the pattern exists, prints the milliseconds from launch,
# then ends the program by its pid.
# Usage: measure NAME TITLE_PATTERN COMMAND...
measure() {
  local name=$1 pattern=$2
  shift 2
  local home log start elapsed_ms status=0

  home=$(mktemp -d "$scratch/$name.XXXXXX")
  log="$home.log"

  start=$(now_us)
  HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share" \
    XDG_CACHE_HOME="$home/.cache" XDG_STATE_HOME="$home/.local/state" \
    GSETTINGS_BACKEND=memory "$@" >"$log" 2>&1 &
  running_pid=$!

  while ! xdotool search --onlyvisible --name "$pattern" >/dev/null 2>&1; do
    elapsed_ms=$(( ($(now_us) - start) / 1000 ))
    if ! kill -0 "$running_pid" 2>/dev/null; then
      wait "$running_pid" || status=$?
      echo "$name exited with status $status before its window showed; its output:" >&2
      cat "$log" >&2
      exit 1
    fi
    if [ "$elapsed_ms" -gt "$limit_ms" ]; then
      echo "$name showed no window titled like “$pattern” within $limit_ms ms; its output:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.005
  done
  elapsed_ms=$(( ($(now_us) - start) / 1000 ))

  kill "$running_pid"
  wait "$running_pid" 2>/dev/null || true
  running_pid=

  echo "$elapsed_ms"
}

measure_minimal() {
  measure minimal '^Minimal Adwaita Window$' "$minimal_window"
}

measure_app() {
  local store_dir
  store_dir=$(mktemp -d "$scratch/store.XXXXXX")
  measure app '^Dynamo Release$' "$dynamo_release" \
    --workspace "$source_dir/data/workspaces/dynamo.yaml" --store "$store_dir/store.sqlite"
}

# Prints the median of the numbers on standard input, one a line.
median() {
  sort -n | awk '{ values[NR] = $1 }
    END {
      if (NR % 2) print values[(NR + 1) / 2]
      else print (values[NR / 2] + values[NR / 2 + 1]) / 2
    }'
}

for tool in xdotool awk sort; do
  if ! command -v "$tool" >/dev/null; then
    echo "$tool is missing: install it (build-aux/install-deps.sh installs xdotool)" >&2
    exit 1
  fi
done
if [ -z "${DISPLAY:-}" ]; then
  echo "DISPLAY is not set: run this under tests/with-display.sh" >&2
  exit 1
fi

echo "first frame: milliseconds from launch until the window is visible (xdotool --onlyvisible)"

# One launch of each first, not counted, so that neither pays alone for loading the shared
# libraries and fonts from disk.
echo "warm-up: minimal $(measure_minimal) ms, app $(measure_app) ms (not counted)"

minimal_samples=()
app_samples=()
for ((round = 1; round <= rounds; round++)); do
  if ((round % 2)); then
    minimal_ms=$(measure_minimal)
    app_ms=$(measure_app)
    order="minimal first"
  else
    app_ms=$(measure_app)
    minimal_ms=$(measure_minimal)
    order="app first"
  fi
  minimal_samples+=("$minimal_ms")
  app_samples+=("$app_ms")
  printf 'round %d: minimal %d ms, app %d ms (%s)\n' "$round" "$minimal_ms" "$app_ms" "$order"
done

minimal_median=$(printf '%s\n' "${minimal_samples[@]}" | median)
app_median=$(printf '%s\n' "${app_samples[@]}" | median)
echo "minimal samples: ${minimal_samples[*]}"
echo "app samples: ${app_samples[*]}"
echo "median minimal window: $minimal_median ms"
echo "median Dynamo Release: $app_median ms"
awk -v app="$app_median" -v minimal="$minimal_median" -v target="$target_ratio" 'BEGIN {
  ratio = app / minimal
  printf "verdict: first frame %.2f times the minimal window (target at most %.1f): %s\n",
    ratio, target, ratio <= target ? "met" : "missed"
}'
