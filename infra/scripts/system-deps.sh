#!/usr/bin/env bash
# System packages sitepass needs, from Debian, installed only when missing (idempotent):
# - postgresql: server binaries for the embedded stack's clusters (initdb, pg_ctl);
# - redis-server: the Celery broker of the scale-out check (tests/integration/test_celery.py);
# - chromium + fonts-wqy-zenhei: headless check of the regulator report (Chinese labels).
# Runs apt-get as root, or through sudo.
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "${SITEPASS_PG_BIN:-}" ] \
  || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "wqy\|noto.*cjk" || missing+=(fonts-wqy-zenhei)

[ ${#missing[@]} -eq 0 ] && exit 0
echo "sitepass: installing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "sitepass: missing ${missing[*]} and not root: install them or run as root" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian's packages start their own services; sitepass runs its own instead.
for svc in postgresql redis-server; do
  $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 \
    || $SUDO service "$svc" stop >/dev/null 2>&1 || true
done
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "${SITEPASS_PG_BIN:-}" ]
