#!/bin/sh
# make run: start the demo mail system in the foreground on 127.0.0.1:2525
# with the embedded default configuration (conf/demo). It refuses, saying
# exactly what is missing, until every program the demo needs is built.
set -eu
build=${1:-build}
bin="$build/bin"
need="master postfix postconf postmap smtpd cleanup pickup qmgr trivial-rewrite virtual bounce proxymap anvil showq postdrop sendmail"
missing=""
for p in $need; do
  [ -x "$bin/$p" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "make run: the demo mail system cannot start yet." >&2
  echo "make run: not built yet:$missing" >&2
  echo "make run: available now: $(ls "$bin" 2>/dev/null | tr '\n' ' ')" >&2
  exit 1
fi
exec sh conf/demo/start.sh "$build"
