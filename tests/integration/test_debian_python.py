"""The suite again under Debian 12's own Python and library packages.

Image builders install osconf's dependencies from the distribution
(python3-netaddr 0.8, python3-pyroute2 0.7, python3-systemd), not from PyPI:
the unit and golden tiers must pass with those versions too.
"""

import os
import subprocess

import pytest

from tests.conftest import REPO
from tests.helpers.tools import IN_CI

DEBIAN_PYTHON = "/usr/bin/python3"
MODULES = ("netaddr", "pyroute2", "systemd.journal", "pytest", "hypothesis")


@pytest.mark.integration
def test_unit_and_golden_tiers_pass_with_debian_packages() -> None:
    probe = subprocess.run(
        [DEBIAN_PYTHON, "-c", f"import {', '.join(MODULES)}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )
    if probe.returncode != 0:
        message = "Debian's python3 with " + " ".join(MODULES) + " is needed: " + probe.stderr
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    result = subprocess.run(
        [
            DEBIAN_PYTHON,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/unit",
            "tests/golden",
            # ruff and mypy are development tools, not Debian-packaged here.
            "--ignore=tests/unit/test_lint.py",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        env=env,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
