#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Starts Dynamo Release on the bundled Dynamo workspace with no container engine and no cluster,
# to try a deploy on a machine with neither. The services' clones are made from
# tests/e2e/service, and the stand-ins for docker and kubectl in tests/e2e/bin come first on
# PATH. They record their calls under the scratch folder instead of building images or changing
# a cluster. The app runs in a private D-Bus session with its own keyring and settings, so it
# changes neither your keyring nor your settings, and it keeps its records in the scratch folder.
#
# Usage: build-aux/try.sh [SCRATCH-FOLDER]
# The folder is created when it does not exist; without it, a new one is made under ${TMPDIR:-/tmp}.
set -eu

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir="$source_dir/_build"
workspace="$source_dir/data/workspaces/dynamo.yaml"

# Writes the package.json of a clone: the service's name, and the version that a new build
# must have, since a deploy checks the clone's version against the build's.
write_package() {
  cat >"$1/package.json" <<EOF
{
  "name": "$2",
  "version": "1.0.0",
  "private": true,
  "scripts": {
    "build": "node scripts/build.js",
    "build:dev": "node scripts/build.js development",
    "build:qa": "node scripts/build.js qa",
    "build:prod": "node scripts/build.js production",
    "update-routes": "node scripts/update-routes.js",
    "test": "node scripts/test.js"
  }
}
EOF
}

# Prints "ID DIRECTORY" for each service of the workspace.
list_services() {
  awk '
    /^[a-z]/ { in_services = ($0 ~ /^services:/) }
    in_services && /^  - id:/ { id = $3 }
    in_services && /^    directory:/ { print id, $2 }
  ' "$workspace"
}

make_clones() {
  local clones=$1
  local id directory clone

  while read -r id directory; do
    clone="$clones/$directory"
    if [ -e "$clone" ]; then
      continue
    fi
    mkdir -p "$clone/k8s/$id"
    cp -R "$source_dir/tests/e2e/service/scripts" "$clone/scripts"
    sed "s/SERVICE/$id/g" "$source_dir/tests/e2e/service/k8s/deployment.yaml" \
      >"$clone/k8s/$id/deployment.yaml"
    write_package "$clone" "$id"
  done < <(list_services)
}

if [ -z "${DYNAMO_TRY_FOLDER:-}" ]; then
  scratch=${1:-}
  if [ -z "$scratch" ]; then
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/dynamo-try.XXXXXX")
  fi
  mkdir -p "$scratch/clones" "$scratch/state"
  scratch=$(cd "$scratch" && pwd)

  "$source_dir/build-aux/install-deps.sh"
  if [ ! -f "$build_dir/build.ninja" ]; then
    meson setup "$build_dir" "$source_dir"
  fi
  meson compile -C "$build_dir"

  make_clones "$scratch/clones"

  # The private session gets its own HOME and XDG_RUNTIME_DIR, so the display's credentials
  # and socket are passed on by absolute path.
  export DYNAMO_TRY_FOLDER="$scratch"
  export DYNAMO_TRY_RUNTIME="${XDG_RUNTIME_DIR:-}"
  if [ -z "${XAUTHORITY:-}" ] && [ -f "$HOME/.Xauthority" ]; then
    export XAUTHORITY="$HOME/.Xauthority"
  fi

  echo "Trying Dynamo Release in $scratch"
  exec "$source_dir/tests/with-keyring.sh" "$source_dir/build-aux/try.sh"
fi

# From here on, the script runs inside the private D-Bus session with an unlocked keyring.
scratch=$DYNAMO_TRY_FOLDER

if [ -n "${WAYLAND_DISPLAY:-}" ] && [ -n "$DYNAMO_TRY_RUNTIME" ] &&
   [ -S "$DYNAMO_TRY_RUNTIME/$WAYLAND_DISPLAY" ]; then
  ln -sf "$DYNAMO_TRY_RUNTIME/$WAYLAND_DISPLAY" "$XDG_RUNTIME_DIR/$WAYLAND_DISPLAY"
fi

# Each cluster gets credentials for a server where nothing listens. The stand-in kubectl only
# needs the kubeconfig that a run writes, and the board's cluster lines report that the cluster
# cannot be reached.
while read -r cluster; do
  printf 'try-token-0123456789' |
    meson devenv -C "$build_dir" -w "$scratch" dynamoctl cluster set "$cluster" \
      --server https://127.0.0.1:6443 --token-file - >/dev/null
done < <(sed -n 's/^ *cluster: *//p' "$workspace" | sort -u)

GSETTINGS_SCHEMA_DIR="$build_dir/data" gsettings set org.dynamorelease.DynamoRelease roles \
  "['release-manager']"

export PATH="$source_dir/tests/e2e/bin:$PATH"
export DYNAMO_E2E_STATE="$scratch/state"
export NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false

# The runs' logs go to the data folder, which is kept in the scratch folder with the records.
export XDG_DATA_HOME="$scratch/data"
mkdir -p "$XDG_DATA_HOME"

cd "$scratch"
status=0
"$source_dir/build-aux/run.sh" --store "$scratch/store.sqlite3" --clones "$scratch/clones" ||
  status=$?
echo "The records, clones and the stand-ins' calls are in $scratch"
exit "$status"
