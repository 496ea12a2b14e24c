#!/bin/sh
# TAP test: libmypool.so exports exactly the functions that client/mypool.h declares and
# client/libmypool.map lists, each with the version MYPOOL_0.1, and has the soname libmypool.so.0.
# Run by `make check` from the build directory.
srcdir=${MYPOOL_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
lib=client/.libs/libmypool.so
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

echo "1..4"
if [ ! -e "$lib" ]; then
	for i in 1 2 3 4; do echo "ok $i # SKIP no shared library (configured with --disable-shared)"; done
	exit 0
fi

# Declared: "type name(" at the start of a line, not macros, typedefs or comments.
grep -oE '^[a-z].*[^a-z0-9_(]mypool_[a-z0-9_]+\(' "$srcdir/client/mypool.h" |
	grep -v '^typedef' | grep -oE 'mypool_[a-z0-9_]+\($' | tr -d '(' | sort -u >"$tmp/declared"
grep -oE '^[[:space:]]+mypool_[a-z0-9_]+;' "$srcdir/client/libmypool.map" | tr -d ' \t;' |
	sort -u >"$tmp/mapped"
nm -D --defined-only "$lib" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort -u \
	>"$tmp/exported"

check() { # n description cmd...
	n=$1 desc=$2
	shift 2
	if "$@" >"$tmp/out" 2>&1; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		sed 's/^/# /' "$tmp/out"
	fi
}

check 1 "mypool.h declares $(wc -l <"$tmp/declared") functions, libmypool.map lists the same" \
	diff "$tmp/declared" "$tmp/mapped"
check 2 "the library exports exactly the declared functions" \
	diff "$tmp/declared" "$tmp/exported"
objdump -T "$lib" | awk '/ mypool_/ && $NF ~ /^mypool_/ && $(NF-1) != "MYPOOL_0.1" { print }' \
	>"$tmp/unversioned"
check 3 "every exported function has the version MYPOOL_0.1" test ! -s "$tmp/unversioned"
[ -s "$tmp/unversioned" ] && sed 's/^/# /' "$tmp/unversioned"
check 4 "the soname is libmypool.so.0" \
	sh -c "readelf -d '$lib' | grep -q 'Library soname: \[libmypool.so.0\]'"
