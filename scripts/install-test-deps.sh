#!/usr/bin/env bash
# Installs what the test suite needs when it is missing: redis-server,
# chromium and promtool (package prometheus) from Debian's packages, and
# the browser tests' npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus) # promtool checks deploy/prometheus
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils) # e2e/report_test.go reads the printed report
# e2e/haproxy_test.go; Debian puts haproxy in /usr/sbin, not on every PATH.
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} from Debian's packages"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# redis-server's package starts a system service; the tests start their own
# (and prometheus's is never used: only its promtool).

if [ -f e2e/package.json ] && [ ! -f e2e/node_modules/axe-core/axe.min.js ]; then
  echo "installing the browser tests' npm packages"
  (cd e2e && npm ci --no-audit --no-fund --silent)
fi
