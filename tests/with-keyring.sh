#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs a command in a private D-Bus session, with a private HOME, XDG folders and
# XDG_RUNTIME_DIR, and an unlocked gnome-keyring whose login password is "test". The private
# folders are set before the session bus starts, so every service it starts uses them too.
# The keyring daemon ends with the session.
set -eu

if [ -z "${DYNAMO_KEYRING_SESSION:-}" ]; then
  scratch=$(mktemp -d "${TMPDIR:-/tmp}/dynamo-keyring.XXXXXX")
  trap 'rm -rf "$scratch"' EXIT
  mkdir -p "$scratch/home" "$scratch/runtime" "$scratch/data" "$scratch/config" "$scratch/cache"
  chmod 700 "$scratch/runtime"
  export HOME="$scratch/home"
  export XDG_RUNTIME_DIR="$scratch/runtime"
  export XDG_DATA_HOME="$scratch/data"
  export XDG_CONFIG_HOME="$scratch/config"
  export XDG_CACHE_HOME="$scratch/cache"
  export DYNAMO_KEYRING_SESSION=1

  status=0
  dbus-run-session -- "$0" "$@" || status=$?
  exit "$status"
fi

# G_DEBUG=fatal-warnings is for the programs under test. gnome-keyring 42 logs a harmless warning
# ("asked to register item …, but it's already registered") when an item is replaced, and must
# not abort on it.
eval "$(printf test | env -u G_DEBUG gnome-keyring-daemon --unlock --components=secrets |
  sed 's/^/export /')"

status=0
"$@" || status=$?
exit "$status"
