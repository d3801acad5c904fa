#!/bin/sh
# make bench: run every benchmark program built from bench/*_bench.cpp,
# every bench/*.sh script and every bench/*.py but benchlib.py (inbound,
# relay, local, anvil, overload); each prints its own figures. inbound.py runs
# twice: plain SMTP, then with STARTTLS in every session (TLS=1).
set -eu
build=${1:-build}
found=no
for b in "$build"/bench/*_bench; do
  [ -x "$b" ] || continue
  # A load generator the Python benchmarks drive, not a benchmark itself.
  [ "$(basename "$b")" = tls_source_bench ] && continue
  found=yes
  echo "== $(basename "$b")"
  "$b"
done
for s in bench/*.sh bench/*.py; do
  [ -f "$s" ] || continue
  [ "$(basename "$s")" = benchlib.py ] && continue  # shared code, not a benchmark
  found=yes
  echo "== $(basename "$s")"
  case "$s" in *.py) python3 "$s" "$build" ;; *) sh "$s" "$build" ;; esac
  if [ "$(basename "$s")" = inbound.py ]; then
    echo "== inbound.py (TLS=1)"
    TLS=1 python3 "$s" "$build"
  fi
done
[ "$found" = yes ] || echo "make bench: no benchmarks built yet"
