#!/bin/sh
# Run libFuzzer targets for a while each:  run.sh TARGET...   (what `make fuzz` calls)
#
# Each TARGET (a path to a fuzz binary) runs for FUZZ_SECONDS (default 60) on a fresh copy of its
# seed corpus, FUZZ_SRCDIR/corpus/NAME, with FUZZ_SRCDIR/NAME.dict if there is one. The working
# corpus, the log and any crash input go to FUZZ_RUNDIR/NAME/. Prints one line per target:
#   PASS: NAME: RUNS runs in S s (N/s), cov: C ft: F, corpus: FILES files (BYTES)
#   FAIL: NAME: crash (status N), input: PATH
# then the end of the log of each failed target. Exit status 1 if any target failed.
set -u

seconds=${FUZZ_SECONDS:-60}
srcdir=${FUZZ_SRCDIR:?FUZZ_SRCDIR is not set}
rundir=${FUZZ_RUNDIR:?FUZZ_RUNDIR is not set}
passed=0 failed=0

case $seconds in
  ''|*[!0-9]*) echo "run.sh: FUZZ_SECONDS must be a number of seconds, not '$seconds'" >&2; exit 2 ;;
esac

for target in "$@"; do
  name=$(basename "$target")
  work=$rundir/$name
  rm -rf "$work"
  mkdir -p "$work/corpus" "$work/crashes"
  if [ -d "$srcdir/corpus/$name" ]; then
    cp "$srcdir/corpus/$name"/* "$work/corpus/" 2>/dev/null
  fi
  dict=
  [ -f "$srcdir/$name.dict" ] && dict=-dict=$srcdir/$name.dict
  log=$work/fuzz.log

  rc=0
  # shellcheck disable=SC2086 # $dict is empty or one word
  "$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$work/crashes/" $dict "$work/corpus" >"$log" 2>&1 || rc=$?

  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  # The last status line, e.g. "#123456  DONE   cov: 412 ft: 1840 corp: 240/9812b ...".
  status=$(grep -E '^#[0-9]+' "$log" | grep ' cov: ' | tail -n 1)
  cov=$(printf '%s\n' "$status" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
  ft=$(printf '%s\n' "$status" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
  corp=$(printf '%s\n' "$status" | sed -n 's/.* corp: [0-9]*\/\([0-9]*[a-zA-Z]*\).*/\1/p')
  files=$(find "$work/corpus" -type f | wc -l | tr -d ' ')
  crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)

  if [ "$rc" -eq 0 ] && [ -z "$crash" ]; then
    passed=$((passed + 1))
    echo "PASS: $name: ${runs:-?} runs in $seconds s (${rate:-?}/s), cov: ${cov:-?} ft: ${ft:-?}," \
      "corpus: $files files (${corp:-?})"
  else
    failed=$((failed + 1))
    what=crash
    case $crash in
      */timeout-*) what=timeout ;;
      */oom-*) what="out of memory" ;;
      */leak-*) what=leak ;;
      '') what="no crash input" ;;
    esac
    echo "FAIL: $name: $what (status $rc), input: ${crash:-none}, log: $log"
    failed_logs="${failed_logs:-} $log"
  fi
done

for log in ${failed_logs:-}; do
  printf '\n---- %s (last 60 lines) ----\n' "$log"
  tail -n 60 "$log"
  printf -- '---- end of %s ----\n' "$log"
done
echo "fuzz: $passed passed, $failed failed ($seconds s per target)"
[ "$failed" -eq 0 ]
