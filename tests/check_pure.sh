#!/bin/sh
# TAP test: the modules in daemon/pure/ touch no socket, event loop or server connection (config.c
# reads its file; nothing else does I/O). No file there includes a socket,
# libevent or Connector/C header, or a daemon header from outside daemon/pure/ (which could
# bring one in), except autoconfig.h and log.h. Run by `make check`; automake sets srcdir.
srcdir=${srcdir:-${MYPOOL_SRCDIR:-$(dirname "$0")/..}}
dir=$srcdir/daemon/pure
set -- "$dir"/*.c "$dir"/*.h
echo "1..$#"
n=0
for f in "$@"; do
	n=$((n + 1))
	bad=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<(sys/socket\.h|sys/un\.h|netinet/|arpa/|netdb\.h|event2?/|event\.h|mysql|mariadb|ma_)' "$f")
	for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
		case $inc in
		autoconfig.h | log.h) ;;
		*) [ -f "$dir/$inc" ] || bad="$bad
$f: \"$inc\" is not in daemon/pure/" ;;
		esac
	done
	name=${f#"$srcdir"/}
	if [ -z "$bad" ]; then
		echo "ok $n - $name touches no socket, event loop or server connection"
	else
		echo "not ok $n - $name includes a socket, libevent or Connector/C header, or one that may bring one in"
		printf '%s\n' "$bad" | sed 's/^/# /'
	fi
done
