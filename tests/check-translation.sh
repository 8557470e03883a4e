#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Checks that a translation covers every current message: regenerates the template from the
# sources, merges the .po file into a copy, and fails on any untranslated or fuzzy message.
# Arguments: the build folder and the .po file.
set -eu

build_dir=$1
po_file=$2
scratch=$(mktemp -d "${TMPDIR:-/tmp}/dynamo-po.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

ninja -C "$build_dir" dynamo-release-pot >/dev/null
pot_file="$(dirname "$po_file")/dynamo-release.pot"

msgmerge --quiet --no-fuzzy-matching -o "$scratch/merged.po" "$po_file" "$pot_file"
statistics=$(msgfmt --check --statistics -o /dev/null "$scratch/merged.po" 2>&1)
echo "$statistics"

if grep -qE 'fuzzy|untranslated' <<<"$statistics"; then
  echo "$(basename "$po_file") is incomplete; these messages need a translation:"
  msgattrib --untranslated --no-obsolete "$scratch/merged.po" | grep -A3 '^msgid' | head -60
  exit 1
fi
