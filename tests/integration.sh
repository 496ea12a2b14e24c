#!/bin/bash
# automake test: the integration suite (TAP on stdout). Run by `make check` through tap-driver.sh
# with MYPOOLD=<built daemon> and MYPOOL_SRCDIR=<source tree>. It fails (never skips) when MariaDB
# cannot be started or PyMySQL is missing.
set -u
srcdir=${MYPOOL_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
export MYPOOL_SRCDIR=$srcdir
export MYPOOLD=${MYPOOLD:-$srcdir/build/daemon/mypoold}
py=/usr/bin/python3   # Debian's python3 has python3-pymysql; a python3 earlier on PATH may not
if [ ! -x "$py" ]; then
  echo "1..1"
  echo "not ok 1 - $py not found (run scripts/deps)"
  exit 0
fi
rc=0
"$py" "$srcdir/tests/integration/run.py" "$@" || rc=$?
# run.py exits 1 when tests failed: each is already a "not ok" line in the TAP stream, so do not
# make tap-driver count one more error for the exit status. Anything else (a crash, a signal,
# "Bail out!") is passed on.
[ "$rc" -eq 1 ] && rc=0
exit "$rc"
