#!/bin/sh
# Format the product's C (lib control codecs kernel-offload sdp dataplane daemon) with
# the repository's .clang-format (Debian 12's clang-format 14): `scripts/format.sh`
# rewrites the files, `scripts/format.sh --check` only lists the ones that differ and
# fails if any does (the test command runs it). tests/ and bench/ are not held to it.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files 'lib/*.[ch]' 'stun/*.[ch]' 'dtls/*.[ch]' 'control/*.[ch]' 'codecs/*.[ch]' 'kernel-offload/*.[ch]' \
	'sdp/*.[ch]' 'dataplane/*.[ch]' 'daemon/*.[ch]')
if [ "${1:-}" != "--check" ]; then
	exec clang-format -i $files
fi
rc=0
for f in $files; do
	if ! clang-format "$f" | cmp -s - "$f"; then
		echo "not formatted: $f (scripts/format.sh fixes it)"
		rc=1
	fi
done
exit $rc
