#!/usr/bin/env bash
# Prepares a machine for osconf's demo and tests; idempotent and quick when done.
#   tools/setup.sh          virtualenv .venv with osconf and its test tools
#   tools/setup.sh --apt    first installs the Debian packages in tests/apt/*.txt
# Needs root for --apt (apt-get); everything else stays inside the checkout.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--apt" ]; then
    mapfile -t wanted < <(cat tests/apt/*.txt | sed 's/#.*//' | tr -s ' \t' '\n' | sed '/^$/d' | sort -u)
    missing=()
    for pkg in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed' \
            || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "setup: installing Debian packages: ${missing[*]}" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get -o DPkg::Lock::Timeout=600 update -qq
        apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
# systemd-python compiles against libsystemd: only where its headers are.
extras="test"
if pkg-config --exists libsystemd 2>/dev/null; then extras="test,systemd"; fi
# Reinstall when the declared dependencies or the extras this machine can
# have change: a venv made before libsystemd-dev was installed (tools/demo.sh
# first) gets systemd-python as soon as the headers are there.
stamp=.venv/.osconf-deps
want=$( (echo "extras=$extras"; cat setup.py tests/pip/*.txt 2>/dev/null) | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    reqs=()
    for f in tests/pip/*.txt; do [ -f "$f" ] && reqs+=(-r "$f"); done
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[${extras}]" "${reqs[@]}"
    echo "$want" > "$stamp"
fi
