#!/bin/sh
# Install the Debian 12 packages listed in scripts/deps.txt that are missing.
# Runs apt-get only when something is missing, so a prepared machine needs no network.
set -eu
here=$(dirname "$0")
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

missing=""
for pkg in $(grep -v '^#' "$here/deps.txt" | tr -s ' \n' ' '); do
	# a nodejs build that bundles npm (and conflicts with Debian's npm) is enough
	if [ "$pkg" = npm ] && command -v npm >/dev/null 2>&1; then
		continue
	fi
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	case "$status" in
	*"ok installed") ;;
	*) missing="$missing $pkg" ;;
	esac
done
if [ -n "$missing" ]; then
	echo "rtprelay: installing:$missing" >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
fi
