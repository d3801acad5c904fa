#!/bin/sh
# make run: create the demo instance (conf/demo) under run/demo and run it
# in the foreground (`postfix start-fg`) with smtpd on 127.0.0.1:2525.
# Ctrl-C stops it cleanly. Mail lands in Maildirs under run/demo/mail, the
# log is run/demo/log/maillog.
#
# Running as root, the daemons run as the unprivileged account `postfix`
# (mail_owner, as in Postfix) and sendmail's maildrop belongs to the group
# `postdrop`; both are created when missing. As an ordinary user,
# everything runs as that user.
set -eu
build=${1:-build}
top=$(pwd)
bin="$top/$build/bin"
demo="$top/run/demo"

need="master postfix postconf postmap postalias smtpd cleanup pickup qmgr trivial-rewrite virtual local bounce proxymap anvil scache tlsmgr flush showq postdrop sendmail postlogd"
missing=""
for p in $need; do
  [ -x "$bin/$p" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "make run: not built:$missing" >&2
  exit 1
fi

if [ "$(id -u)" = 0 ]; then
  getent group postdrop >/dev/null || groupadd --system postdrop
  getent passwd postfix >/dev/null ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin postfix
  owner=postfix
  group=postdrop
else
  owner=$(id -un)
  group=$(id -gn)
fi
uid=$(id -u "$owner")
gid=$(id -g "$owner")

# A running demo (another `make run`) keeps its instance; refuse politely.
if [ -f "$demo/etc/main.cf" ] && "$bin/postfix" -c "$demo/etc" status >/dev/null 2>&1; then
  echo "make run: the demo is already running (stop it with: $bin/postfix -c $demo/etc stop)" >&2
  exit 1
fi

mkdir -p "$demo/etc" "$demo/log" "$demo/mail"
sed -e "s|@DEMO@|$demo|g" -e "s|@BIN@|$bin|g" -e "s|@OWNER@|$owner|g" \
    -e "s|@GROUP@|$group|g" -e "s|@UID@|$uid|g" -e "s|@GID@|$gid|g" \
    conf/demo/main.cf > "$demo/etc/main.cf"
cp conf/demo/master.cf "$demo/etc/master.cf"
for t in vmailbox virtual; do
  cp "conf/demo/$t" "$demo/etc/$t"
  "$bin/postmap" -c "$demo/etc" "hash:$demo/etc/$t"
done
cp conf/demo/aliases "$demo/etc/aliases"
"$bin/postalias" -c "$demo/etc" "hash:$demo/etc/aliases"
chown "$uid:$gid" "$demo/mail"
touch "$demo/log/maillog"
chown -R "$uid:$gid" "$demo/log"

cat <<MSG
Demo mail system: smtpd on 127.0.0.1:2525, domains example.com and example.net
  mailboxes: alice@example.com bob@example.com carol@example.net
  aliases:   postmaster@example.com sales@example.com @example.net (catch-all)
  local:     root@localhost, postmaster@localhost (aliases to alice@example.com)
  Maildirs:  $demo/mail
  log:       $demo/log/maillog
  commands:  $bin/postqueue -c $demo/etc -p  |  $bin/postmap -c $demo/etc -q bob@example.com hash:$demo/etc/vmailbox
Ctrl-C stops it.
MSG
exec "$bin/postfix" -c "$demo/etc" start-fg
