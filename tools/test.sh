#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this script).
# Installs what it needs (Debian packages, virtualenv, pip), then runs pytest
# over every tier: unit, golden, integration (namespaces, loop devices,
# real network stacks) and e2e (QEMU guests).
#
# Without arguments the QEMU tier runs beside the other tiers, in a pytest of
# its own: its guests spend most of their time waiting (boots, SSH), so the
# two halves together take little longer than the QEMU tier alone. Its output
# is shown when both are done. With arguments, one pytest gets them all
# (`sudo tools/test.sh tests/unit -q`).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
    echo "test: run as root: the integration tiers create namespaces and loop devices" >&2
    exit 2
fi
tools/setup.sh --apt

# pytest's exit 5 (no tests collected) is a failure too.
verdict() {
    if [ "$1" -eq 5 ]; then
        echo "test: pytest collected no tests in $2: that is a failure" >&2
        return 1
    fi
    return "$1"
}

if [ "$#" -gt 0 ]; then
    set +e
    .venv/bin/python -m pytest "$@"
    code=$?
    set -e
    verdict "$code" "the given tests"
    exit $?
fi

e2e_log=$(mktemp /tmp/osconf-e2e.XXXXXX.log)
e2e_tmp=$(mktemp -d /tmp/osconf-e2e-tmp.XXXXXX)
trap 'rm -rf "$e2e_tmp"; [ -n "${e2e_pid:-}" ] && kill "$e2e_pid" 2>/dev/null; true' EXIT
.venv/bin/python -m pytest tests/e2e --basetemp="$e2e_tmp/t" >"$e2e_log" 2>&1 &
e2e_pid=$!

set +e
.venv/bin/python -m pytest --ignore=tests/e2e
code=$?
wait "$e2e_pid"
e2e_code=$?
e2e_pid=
set -e

echo
echo "== the QEMU tier (tests/e2e), run beside the others:"
cat "$e2e_log"
rm -f "$e2e_log"
failed=0
verdict "$code" "the unit, golden and integration tiers" || failed=1
verdict "$e2e_code" "the QEMU tier" || failed=1
exit "$failed"
