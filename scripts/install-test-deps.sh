#!/usr/bin/env bash
# Installs the system programs the test suite drives for real: Debian's Chromium (the docs test)
# and PostgreSQL 15 (the suites start their own server from its binaries; PG_BIN points elsewhere),
# openssl (pipai listen's dev certificate), and what the docs' curl samples run with: curl, and
# perl with Time::HiRes (their millisecond timestamp).
# Idempotent; needs root (or sudo) only when something is missing.
set -euo pipefail

missing=()
[ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
[ -x "${PG_BIN:-/usr/lib/postgresql/15/bin}/initdb" ] || missing+=(postgresql-15)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v curl >/dev/null 2>&1 || missing+=(curl)
perl -MTime::HiRes -e 1 >/dev/null 2>&1 || missing+=(perl)

if [ ${#missing[@]} -eq 0 ]; then
  echo "test deps: all present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "test deps: missing ${missing[*]}; install them as root (apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
echo "test deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
