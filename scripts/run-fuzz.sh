#!/bin/sh
# make fuzz: runs each libFuzzer target of tests/fuzz for SECONDS on its
# corpus, one target at a time, and prints its figures.
#
#   sh scripts/run-fuzz.sh BUILD SECONDS [TARGET...]     (default: every target)
#
# The repository seeds (tests/fuzz/corpus/TARGET/) are read, never written:
# what libFuzzer finds goes to BUILD/fuzz-work/TARGET/corpus/ (kept, so a
# later run goes on from there) and crashing inputs to
# BUILD/fuzz-work/TARGET/crashes/. Per target: executions, coverage (cov:
# edges, ft: features), corpus size, new crashes; the exit status is 1 when
# any target crashed (see tests/fuzz/README.md for what to do then).
#
# FUZZ_CPU=1: SECONDS are seconds of CPU time of the fuzzer process, not
# of the clock (for a machine shared with other work, e.g. a run at low
# priority): the target runs until it has used them, then stops cleanly
# (libFuzzer prints its final figures on SIGINT). Lower its priority to
# share the machine; do not stop it (SIGSTOP) meanwhile: libFuzzer's
# -timeout counts clock time, so the input running when it is stopped for
# longer than that is reported as a timeout and the run ends.
set -eu
export LC_ALL=C # log lines may hold raw bytes of inputs
cpu_mode=${FUZZ_CPU:-0}
tick=$(getconf CLK_TCK)

build=${1:?usage: run-fuzz.sh BUILD SECONDS [TARGET...]}
seconds=${2:?usage: run-fuzz.sh BUILD SECONDS [TARGET...]}
shift 2
targets="$*"
[ -n "$targets" ] || targets=$(ls tests/fuzz/corpus)
work=$build/fuzz-work

table=""
failed=""
for t in $targets; do
  bin=$build/tests/fuzz/fuzz_$t
  if [ ! -x "$bin" ]; then
    echo "run-fuzz: no target $t ($bin)" >&2
    exit 2
  fi
  mkdir -p "$work/$t/corpus" "$work/$t/crashes"
  limit=$seconds
  [ "$cpu_mode" = 1 ] && limit=$((seconds * 50)) # the CPU-time loop below stops the run
  set -- "$work/$t/corpus" "tests/fuzz/corpus/$t" \
    -max_total_time="$limit" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/$t/crashes/"
  [ -f "tests/fuzz/dict/$t.dict" ] && set -- "$@" -dict="tests/fuzz/dict/$t.dict"
  log=$work/$t/last.log
  before=$(ls "$work/$t/crashes" | wc -l)
  echo "== $t: $bin $* (log: $log)"
  status=0
  if [ "$cpu_mode" = 1 ]; then
    "$bin" "$@" >"$log" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
      used=$(awk -v t="$tick" '{ printf "%d", ($14 + $15) / t }' "/proc/$pid/stat" 2>/dev/null || echo 0)
      if [ "$used" -ge "$seconds" ]; then
        kill -INT "$pid" 2>/dev/null || true
        break
      fi
      sleep 5
    done
    wait "$pid" || status=$?
    # Stopped by the loop: not a failure (this libFuzzer has no
    # -interrupted_exit_code).
    if grep -q "libFuzzer: run interrupted" "$log" && ! grep -q "^SUMMARY" "$log"; then
      status=0
    fi
    echo "cpu seconds: $used" >>"$log"
  else
    "$bin" "$@" >"$log" 2>&1 || status=$?
  fi
  after=$(ls "$work/$t/crashes" | wc -l)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+.*(cov|ft):' "$log" | tail -1 || true)
  [ -n "$runs" ] || runs=$(echo "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')
  cov=$(echo "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
  corp=$(echo "$last" | sed -n 's/.*corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p')
  crashes=$((after - before))
  if [ "$status" -ne 0 ] || [ "$crashes" -gt 0 ]; then
    failed="$failed $t"
    grep -E '^(SUMMARY|==[0-9]+==ERROR|.*fuzz check failed|.*runtime error)' "$log" | head -5 || true
    ls -t "$work/$t/crashes" | head -3 | sed "s|^|  input: $work/$t/crashes/|"
  fi
  table="$table$(printf '%-16s %12s %8s %8s %12s %8s' "$t" "${runs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes")
"
done

echo
printf '%-16s %12s %8s %8s %12s %8s\n' target runs cov ft corpus crashes
printf '%s' "$table"
if [ -n "$failed" ]; then
  echo "make fuzz: crashes in:$failed (inputs in $work/TARGET/crashes/)" >&2
  exit 1
fi
