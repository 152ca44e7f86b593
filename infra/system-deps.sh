#!/bin/sh
# Debian packages the browser tests and chart export need: headless Chromium, its driver, CJK fonts;
# docker-compose, whose `config` checks docker-compose.yml against the Compose specification
# without a Docker engine (tests/unit/test_compose.py); and Node.js with npm, which install the
# AsyncAPI Initiative's parser (infra/asyncapi, pinned in its package-lock.json) that checks
# contracts/asyncapi.yaml (tests/unit/test_asyncapi_standard.py).
# Installs only what is missing; needs root (CI runs as root). Elsewhere it says what to install.
set -e
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v chromedriver >/dev/null 2>&1 || missing="$missing chromium-driver"
[ -d /usr/share/fonts/opentype/noto ] || missing="$missing fonts-noto-cjk"
command -v docker-compose >/dev/null 2>&1 || missing="$missing docker-compose"
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing:$missing"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "note: browser, compose and AsyncAPI tests need:$missing (install with: sudo apt-get install$missing); they will be skipped"
  fi
fi
# The AsyncAPI parser, exactly the versions in the lock file; again only when the lock file changed.
dir="$(dirname "$0")/asyncapi"
if command -v npm >/dev/null 2>&1; then
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "installing the AsyncAPI parser (npm ci in infra/asyncapi)"
    (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
  fi
fi
# Plotly's map bundle, which the twin's pages load instead of Plotly's full one (twin/ui/plotly_bundle.py:
# plotly.js's own package of the release pinned, checked by its digest), under build/plotly/; only when missing.
root="$(dirname "$0")/.."
if command -v npm >/dev/null 2>&1 && [ -x "$root/.venv/bin/python" ]; then
  (cd "$root" && .venv/bin/python -m twin.ui.plotly_bundle) || true
fi
