#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs what is missing, builds Dynamo Release and starts it on the bundled Dynamo
# workspace. Arguments go to the app, for example --workspace FILE.
set -eu

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir="$source_dir/_build"

"$source_dir/build-aux/install-deps.sh"

if [ ! -f "$build_dir/build.ninja" ]; then
  meson setup "$build_dir" "$source_dir"
fi
meson compile -C "$build_dir"

exec meson devenv -C "$build_dir" -w "$PWD" dynamo-release "$@"
