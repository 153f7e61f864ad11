"""The unit, golden and live-namespace tiers under the oldest, Debian's and the newest Python.

* **floor**: pyenv's Python 3.6 with the oldest dependency versions the
  distributions ship (netaddr 0.7.19: Debian 11, Ubuntu 20.04; pyroute2
  0.5.14: Debian 11, EPEL 9; the dataclasses backport RHEL 8 packages),
  and pytest/hypothesis releases that still run on 3.6; mypy 0.971 (the
  last that runs on 3.6) checks the package for Python 3.6.
* **newest**: pyenv's newest Python with PyPI's newest releases (the venv
  is remade daily, so it follows them).

* **Debian 12**: /usr/bin/python3 with Debian's python3-* packages
  (netaddr 0.8, pyroute2 0.7, python3-systemd): what image builders install.

(A Debian 11 tree with Python 3.9 ran here before: the floor tier covers its
library versions, netaddr 0.7.19 and pyroute2 0.5.14, on an older Python.)
Each venv is cached under `.cache/venvs/` (tests/helpers/pyenvs.py); the
suite runs from the checkout with the venv's interpreter, as root, with
CI's rules (under `CI=true` a skipped test fails the inner run too).
"""

import os
import re
import subprocess
from typing import Dict, List

import pytest

from tests.conftest import REPO
from tests.helpers import pyenvs
from tests.helpers.tools import IN_CI, require_root

pytestmark = pytest.mark.integration

# The tiers every interpreter runs; ruff and mypy have their own tests.
TIERS = [
    "tests/unit",
    "tests/golden",
    "tests/integration/test_live_apply.py",
    "tests/integration/test_live_reload.py",
    "--ignore=tests/unit/test_lint.py",
]
FLOOR = [
    "netaddr==0.7.19",
    "pyroute2==0.5.14",
    "dataclasses==0.8",
    "systemd-python==235",
    # The last releases that run on Python 3.6.
    "pytest==7.0.1",
    "hypothesis==6.31.6",
    "mypy==0.971",
    "types-dataclasses",  # typeshed has dataclasses only from 3.7 on
]
# The declared floor of pyroute2 (EPEL 8 ships 0.5.3): the live tiers,
# the only code that imports pyroute2, under it too.
PYROUTE2_FLOOR = ["pyroute2==0.5.3", *(r for r in FLOOR if not r.startswith("pyroute2"))]
LIVE_TIERS = [t for t in TIERS if "test_live_" in t]
NEWEST = ["netaddr", "pyroute2", "systemd-python", "pytest", "hypothesis"]


def _env() -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _run_tiers(python: str, extra: List[str]) -> str:
    return _run_tiers_of(python, TIERS + extra)


def _run_tiers_of(python: str, tiers: List[str]) -> str:
    result = subprocess.run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", *tiers],
        cwd=REPO,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        timeout=3600,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary and " failed" not in summary, summary
    if IN_CI:
        assert "skipped" not in summary, result.stdout[-3000:]
    return summary


def _versions(python: str) -> str:
    return subprocess.run(
        [
            python,
            "-c",
            "import sys, netaddr, pyroute2; "
            "print('%d.%d' % sys.version_info[:2], netaddr.__version__, pyroute2.__version__)",
        ],
        stdout=subprocess.PIPE,
        universal_newlines=True,
        check=True,
    ).stdout.strip()


def test_tiers_pass_on_python_3_6_with_the_oldest_libraries() -> None:
    require_root()
    python = pyenvs.venv("floor", pyenvs.pyenv_python("3.6"), FLOOR)
    assert _versions(python).split()[:2] == ["3.6", "0.7.19"]
    assert re.match(r"0\.5\.14\b", _versions(python).split()[2])
    _run_tiers(python, [])


def test_live_tiers_pass_with_the_oldest_pyroute2_setup_py_allows() -> None:
    require_root()
    python = pyenvs.venv("pyroute2-floor", pyenvs.pyenv_python("3.6"), PYROUTE2_FLOOR)
    installed = subprocess.run(
        [python, "-m", "pip", "show", "pyroute2"], stdout=subprocess.PIPE,
        universal_newlines=True, check=True,
    ).stdout  # fmt: skip
    assert "Version: 0.5.3\n" in installed, installed  # 0.5.3 has no __version__
    setup = (REPO / "setup.py").read_text()
    assert '"pyroute2>=0.5.3"' in setup, "the floor tested here is the one setup.py declares"
    _run_tiers_of(python, LIVE_TIERS)


def test_mypy_checks_the_package_for_python_3_6() -> None:
    python = pyenvs.venv("floor", pyenvs.pyenv_python("3.6"), FLOOR)
    result = subprocess.run(
        [python, "-m", "mypy", "--python-version", "3.6", "--no-incremental", "osconf"],
        cwd=REPO,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Success" in result.stdout


def test_tiers_pass_on_debian_12_python_with_debian_packages() -> None:
    require_root()
    python = "/usr/bin/python3"
    probe = subprocess.run(
        [python, "-c", "import netaddr, pyroute2, systemd.journal, pytest, hypothesis"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )
    if probe.returncode != 0:
        message = "Debian's python3 with its python3-* test packages is needed: " + probe.stderr
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    assert _versions(python).split()[0] == "3.11"
    _run_tiers(python, [])


def test_tiers_pass_on_the_newest_python_with_the_newest_libraries() -> None:
    require_root()
    python = pyenvs.venv("newest", pyenvs.pyenv_python(), NEWEST, daily=True)
    minor = _versions(python).split()[0]
    assert tuple(int(x) for x in minor.split(".")) >= (3, 13)
    # The `crypt` module left the standard library in 3.13 (PEP 594): the
    # libc cross-check runs under the other three interpreters; the
    # specification vectors and the openssl cross-check run here too.
    _run_tiers(python, ["--deselect=tests/unit/test_sha512crypt.py::test_matches_libc"])
