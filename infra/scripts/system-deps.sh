#!/usr/bin/env bash
# System packages the embedded stack needs: the PostgreSQL server binaries.
# Idempotent; installs with apt-get (as root, or through sudo) only what is missing.
set -euo pipefail

have_pg() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "${SITEPASS_PG_BIN:-}" ]; }

if have_pg; then
  exit 0
fi
echo "sitepass: installing the Debian package 'postgresql' (server binaries for the embedded stack)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "sitepass: PostgreSQL server binaries are missing and I am not root; install 'postgresql' or set SITEPASS_PG_BIN" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends postgresql-15 postgresql-client-15 >/dev/null \
  || $SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
# Debian's package starts its own cluster on 5432; sitepass runs its own clusters instead.
$SUDO systemctl disable --now postgresql >/dev/null 2>&1 || $SUDO service postgresql stop >/dev/null 2>&1 || true
have_pg
