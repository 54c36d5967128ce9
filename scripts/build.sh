#!/bin/sh
# Configure (once) and build rtprelay into build/ (or the directory given as $1,
# with any further arguments passed to `meson setup`).
set -eu
cd "$(dirname "$0")/.."
dir=${1:-build}
[ $# -gt 0 ] && shift
if [ ! -f "$dir/build.ninja" ]; then
	meson setup "$dir" "$@" >/dev/null
fi
ninja -C "$dir"
