#!/bin/sh
# TAP test: docs/modules.dot is what scripts/modgraph draws from daemon/ today (no graphviz
# needed: only the dot text is compared), and no two modules of daemon/ include each other,
# directly or around a circle. Run by `make check` from the build directory; automake
# sets srcdir. Skipped only when there is no python3: tap-driver.sh takes a "1..0 # SKIP" plan as
# a skip (an exit status of 77 would count as an error under the TAP driver).
srcdir=${srcdir:-${MYPOOL_SRCDIR:-$(dirname "$0")/..}}
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3) || py=
if [ -z "$py" ]; then
	echo "1..0 # SKIP python3 not found"
	exit 0
fi

echo "1..2"
if out=$("$py" "$srcdir/scripts/modgraph" --root "$srcdir" check 2>&1); then
	echo "ok 1 - docs/modules.dot matches daemon/"
else
	echo "not ok 1 - docs/modules.dot does not match daemon/"
	printf '%s\n' "$out" | sed 's/^/# /'
fi
if out=$("$py" "$srcdir/scripts/modgraph" --root "$srcdir" cycles 2>&1); then
	echo "ok 2 - no include cycle between the modules of daemon/"
else
	echo "not ok 2 - include cycles between the modules of daemon/ (scripts/modgraph cycles):"
	printf '%s\n' "$out" | sed 's/^/# /'
fi
