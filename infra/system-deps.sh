#!/bin/sh
# Debian packages the browser tests and chart export need: headless Chromium, its driver, CJK fonts;
# and docker-compose, whose `config` checks docker-compose.yml against the Compose specification
# without a Docker engine (tests/unit/test_compose.py).
# Installs only what is missing; needs root (CI runs as root). Elsewhere it says what to install.
set -e
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v chromedriver >/dev/null 2>&1 || missing="$missing chromium-driver"
[ -d /usr/share/fonts/opentype/noto ] || missing="$missing fonts-noto-cjk"
command -v docker-compose >/dev/null 2>&1 || missing="$missing docker-compose"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing:$missing"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
  echo "note: browser and compose tests need:$missing (install with: sudo apt-get install$missing); they will be skipped"
fi
