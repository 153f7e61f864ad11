#!/usr/bin/env bash
# The long fuzz run: the parser and validator (tests/unit/test_fuzz.py, 7
# properties) and the target's files (tests/unit/test_fuzz_target.py), every
# property with the hypothesis profile `fuzz-long` (20,000 examples each:
# over 140,000 inputs). Prints per-property statistics. Takes about 12
# minutes on two cores (5 for the parser, 7 for the target); run it by hand:
#   bench/fuzz.sh            (uses .venv/bin/python; PYTHON=... to override)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
start=$(date +%s)
HYPOTHESIS_PROFILE=fuzz-long "$PYTHON" -m pytest tests/unit/test_fuzz.py tests/unit/test_fuzz_target.py -q \
    -p no:cacheprovider -p no:logging --hypothesis-show-statistics "$@"
echo "fuzz: finished in $(( $(date +%s) - start )) s"
