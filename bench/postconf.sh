#!/bin/sh
# Benchmark: how long `postconf -n` and `postconf -x` take on the
# virtual-hosting example, ours vs. Debian's /usr/sbin/postconf (when
# installed), over the same files in the same run. Prints runs per second
# and the time ratio ours/Debian's (lower is better, as in every benchmark
# here). Not a test: it asserts nothing.
set -eu
build=${1:-build}
ours="$build/bin/postconf"
theirs=/usr/sbin/postconf
runs=${RUNS:-200}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp examples/virtual-hosting/main.cf "$dir/main.cf"
cp conf/master.cf "$dir/master.cf"

rate() {  # rate PROGRAM ARGS...: runs per second
  start=$(date +%s.%N)
  i=0
  while [ $i -lt "$runs" ]; do
    "$@" >/dev/null 2>&1
    i=$((i + 1))
  done
  end=$(date +%s.%N)
  echo "$start $end $runs" | awk '{printf "%.1f", $3 / ($2 - $1)}'
}

for mode in -n -x; do
  a=$(rate "$ours" -c "$dir" $mode)
  if [ -x "$theirs" ]; then
    b=$(rate "$theirs" -c "$dir" $mode)
    ratio=$(echo "$a $b" | awk '{printf "%.2f", $2 / $1}')
    echo "postconf $mode: ours $a runs/s, Debian's postfix $b runs/s, time ratio $ratio ($runs runs)"
  else
    echo "postconf $mode: ours $a runs/s ($runs runs; Debian's postfix not installed)"
  fi
done
