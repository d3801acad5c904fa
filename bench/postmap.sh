#!/bin/sh
# Benchmark: postmap building a 1,000,000-entry table and answering 100,000
# `postmap -q -` lookups, for hash, btree, lmdb and cdb, ours vs. Debian's
# /usr/sbin/postmap (when installed) on the same files in the same run.
# Prints seconds and the ratio ours/theirs (lower is better). Each figure is
# the best of RUNS runs (default 3), ours and theirs interleaved, so that a
# busy machine skews both alike. Not a test. LINES and QUERIES override the
# sizes.
set -eu
build=${1:-build}
ours="$build/bin/postmap"
theirs=/usr/sbin/postmap
lines=${LINES:-1000000}
queries=${QUERIES:-100000}
runs=${RUNS:-3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/etc"
: >"$dir/etc/main.cf"
awk -v n="$lines" 'BEGIN { for (i = 0; i < n; i++) printf "user%d@example.jp example.jp/user%d/\n", i, i }' \
  >"$dir/src"
awk -v n="$lines" -v q="$queries" 'BEGIN { srand(1); for (i = 0; i < q; i++) printf "user%d@example.jp\n", int(rand() * n) }' \
  >"$dir/keys"

secs() {  # secs COMMAND...: wall-clock seconds of one run
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  echo "$start $end" | awk '{printf "%.2f", $2 - $1}'
}
min() {  # min BEST NEW: the smaller (BEST may be empty)
  if [ -z "$1" ]; then echo "$2"; else echo "$1 $2" | awk '{print ($2 < $1) ? $2 : $1}'; fi
}
ratio() { echo "$1 $2" | awk '{printf "%.2f", $1 / ($2 > 0 ? $2 : 0.01)}'; }

build_table() {  # build_table PROGRAM TYPE
  "$1" -c "$dir/etc" "$2:$dir/src"
}
query_table() {  # query_table PROGRAM TYPE: every key must be found
  found=$("$1" -c "$dir/etc" -q - "$2:$dir/src" <"$dir/keys" | wc -l)
  [ "$found" -eq "$queries" ] || { echo "postmap -q - found $found of $queries keys" >&2; exit 1; }
}

for type in hash btree lmdb cdb; do
  a='' qa='' b='' qb='' i=0
  while [ $i -lt "$runs" ]; do
    a=$(min "$a" "$(secs build_table "$ours" "$type")")
    qa=$(min "$qa" "$(secs query_table "$ours" "$type")")
    if [ -x "$theirs" ]; then
      b=$(min "$b" "$(secs build_table "$theirs" "$type")")
      qb=$(min "$qb" "$(secs query_table "$theirs" "$type")")
    fi
    i=$((i + 1))
  done
  if [ -x "$theirs" ]; then
    echo "$type $lines-line build: ours ${a}s, Debian's postfix ${b}s, ratio $(ratio "$a" "$b")"
    echo "$type $queries lookups (-q -): ours ${qa}s, Debian's postfix ${qb}s, ratio $(ratio "$qa" "$qb")"
  else
    echo "$type $lines-line build: ours ${a}s; $queries lookups: ours ${qa}s (Debian's postfix not installed)"
  fi
done
