#!/bin/sh
# Every request flag bit (enum ng_flag in control/ngrequest.h) is read
# somewhere in daemon/: a bit nothing reads would be a flag that is accepted
# as implemented and then ignored.
root=${1:?source root}
bits=$(sed -n 's/^[[:space:]]*\(NG_F_[A-Z_]*\) = .*/\1/p' "$root/control/ngrequest.h")
[ -n "$bits" ] || { echo "no NG_F_ bits found"; exit 1; }
rc=0
for b in $bits; do
	if ! grep -q "\\b$b\\b" "$root"/daemon/*.c; then
		echo "$b: set by control/ngflags.c, read nowhere in daemon/"
		rc=1
	fi
done
exit $rc
