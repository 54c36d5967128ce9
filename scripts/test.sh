#!/bin/sh
# Set-up command 2: install what is missing, build (plain, sanitizer, fuzz) and run
# every test: unit, integration, fuzz smoke, interop. Last line: "N passed, N failed".
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh
exec /usr/bin/python3 tests/run_all.py "$@"
