#!/bin/sh
# Set-up command 1: install what is missing, build, and run rtprelayd in the
# foreground with the example config (control on 127.0.0.1:2223, media on 127.0.0.1).
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh build
exec build/daemon/rtprelayd --config etc/rtprelay.conf --foreground "$@"
