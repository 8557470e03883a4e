#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs a command on a private Xvfb server of 1280x800 (inside a private keyring session, see
# with-keyring.sh), with GTK on X11 and the cairo renderer.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

if [ -z "${DYNAMO_DISPLAY_SESSION:-}" ]; then
  export DYNAMO_DISPLAY_SESSION=1
  exec "$here/with-keyring.sh" "$0" "$@"
fi

fifo=$(mktemp -u "${TMPDIR:-/tmp}/dynamo-display.XXXXXX")
mkfifo "$fifo"
# -noreset: by default the server resets when its last client disconnects and refuses
# connections meanwhile, which fails a program started between two others.
Xvfb -displayfd 4 -screen 0 1280x800x24 -nolisten tcp -noreset 4>"$fifo" 2>/dev/null &
xvfb_pid=$!
trap 'kill "$xvfb_pid" 2>/dev/null; wait "$xvfb_pid" 2>/dev/null; rm -f "$fifo"' EXIT
read -r display_number <"$fifo"
export DISPLAY=":$display_number"
export GDK_BACKEND=x11
export GSK_RENDERER=cairo

status=0
"$@" || status=$?
exit "$status"
