#!/usr/bin/env bash
# The long fuzz run of the parser and validator (tests/unit/test_fuzz.py):
# every property with the hypothesis profile `fuzz-long` (20,000 examples
# each, 7 properties: over 100,000 inputs). Prints per-property statistics
# and the total. Takes about 5 minutes on two cores; run it by hand:
#   bench/fuzz.sh            (uses .venv/bin/python; PYTHON=... to override)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
start=$(date +%s)
HYPOTHESIS_PROFILE=fuzz-long "$PYTHON" -m pytest tests/unit/test_fuzz.py -q \
    -p no:cacheprovider --hypothesis-show-statistics "$@"
echo "fuzz: finished in $(( $(date +%s) - start )) s"
