#!/bin/sh
# Installs what a fresh Debian 12 machine lacks to build and test this system.
# Quiet and idempotent: it checks every package with dpkg first and calls
# apt-get only for the missing ones. Works as root or as a user with sudo.
#
# Debian's own postfix packages are installed as a *test-only reference*
# (compatibility tests compare with /usr/sbin/postconf and /usr/sbin/postmap,
# benchmarks use smtp-source/smtp-sink). They are preseeded "No configuration"
# and their service is never started by us; our binaries live in build/bin and
# never replace Debian's.
set -eu

BUILD_PKGS="cmake ninja-build g++ pkg-config libevent-dev libssl-dev libmariadb-dev
libdb5.3-dev liblmdb-dev libcdb-dev libpcre2-dev libgtest-dev libgmock-dev"
TEST_PKGS="clang-format mariadb-server python3 swaks postfix postfix-mysql postfix-lmdb
postfix-cdb postfix-pcre dovecot-imapd dovecot-lmtpd dovecot-mysql libsasl2-modules
libnet-ssleay-perl postgrey"
FUZZ_PKGS="clang libclang-rt-14-dev"

want="$BUILD_PKGS"
case "${1:-}" in
  --test) want="$BUILD_PKGS $TEST_PKGS" ;;
  --fuzz) want="$BUILD_PKGS $FUZZ_PKGS" ;;
  --build|"") ;;
  *) echo "usage: $0 [--build|--test|--fuzz]" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
  st=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
  case "$st" in
    ii*) ;;
    *) missing="$missing $p" ;;
  esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  SUDO="env"
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo env"
else
  echo "install-deps: missing packages:$missing (run as root or install sudo)" >&2
  exit 1
fi

echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Debian's postfix as a reference only: no configuration, no running service.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
# Keep package services (mariadb, postfix) from starting at install time:
# tests start their own private servers.
policy=/usr/sbin/policy-rc.d
made_policy=no
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  made_policy=yes
fi
cleanup() { if [ "$made_policy" = yes ]; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT

log=$(mktemp)
if ! { $SUDO apt-get update -qq && \
       $SUDO DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; } >"$log" 2>&1; then
  cat "$log" >&2
  rm -f "$log"
  echo "install-deps: apt-get failed" >&2
  exit 1
fi
rm -f "$log"
