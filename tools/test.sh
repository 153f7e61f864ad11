#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this script).
# Installs what it needs (Debian packages, virtualenv, pip), then runs pytest
# over every tier: unit, golden, integration (namespaces, loop devices,
# real network stacks) and e2e (QEMU guests). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
    echo "test: run as root: the integration tiers create namespaces and loop devices" >&2
    exit 2
fi
tools/setup.sh --apt
set +e
.venv/bin/python -m pytest "$@"
code=$?
set -e
if [ "$code" -eq 5 ]; then
    echo "test: pytest collected no tests: that is a failure" >&2
    exit 1
fi
exit "$code"
