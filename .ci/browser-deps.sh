#!/usr/bin/env bash
# Browser for the end-to-end test (tools/sandbox/src/e2e): Debian's Chromium at /usr/bin/chromium, driven by
# playwright-core. Nothing to do when it is already there; the test skips (and says why) without it.
set -uo pipefail
if [ -x /usr/bin/chromium ]; then
  /usr/bin/chromium --version 2>/dev/null || echo "chromium present at /usr/bin/chromium"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq || true
if $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null; then
  /usr/bin/chromium --version 2>/dev/null || true
else
  echo "could not install chromium; the browser test will be skipped"
fi
exit 0
