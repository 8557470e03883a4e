#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs the Debian 12 packages that building, running and testing Dynamo Release need, and
# only those that are missing. Uses sudo unless it runs as root.
set -eu

packages=(
  # build
  gcc pkg-config meson ninja-build gettext
  libglib2.0-dev libgtk-4-dev libadwaita-1-dev libsoup-3.0-dev libjson-glib-dev
  libsecret-1-dev libyaml-dev libsqlite3-dev
  # run: the keyring, and the commands of the bundled workspace's steps
  gnome-keyring libsecret-tools dbus-daemon dconf-gsettings-backend git
  # validate the desktop file, metainfo and schema
  desktop-file-utils appstream libglib2.0-bin
  # tests: a private X server, real pointer events, screenshots, TLS certificates, locales
  xvfb xdotool imagemagick openssl locales
  # tests: a desktop notification server that shows the app's notifications on that X server
  notification-daemon
)

# The end-to-end tests and the workspace's steps run Node.js scripts with npm.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

echo "Installing missing packages: ${missing[*]}"
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo=(sudo)
fi
"${sudo[@]}" apt-get update
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
