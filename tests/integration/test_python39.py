"""The unit and golden tiers under Python 3.9, the project's floor.

A Debian 11 (bullseye) minbase tree with its python3 (3.9) and the Debian
packages of osconf's dependencies (netaddr 0.7, pyroute2 0.5, pytest,
hypothesis) is built once with mmdebstrap into `.cache/` and reused; the
checkout is bind-mounted into it in a private mount namespace and the suite
runs there with the 3.9 interpreter. Syntax or standard-library APIs newer
than 3.9, or reliance on newer dependency versions, fail here.
"""

import os
import shutil
import subprocess

import pytest

from tests.conftest import REPO
from tests.helpers.tools import IN_CI, require_root, require_tool

SUITE = "bullseye"
MIRROR = "http://deb.debian.org/debian"
PACKAGES = (
    "python3",
    "python3-netaddr",
    "python3-pyroute2",
    "python3-pytest",
    "python3-hypothesis",
    "openssl",  # test_sha512crypt cross-checks against `openssl passwd -6`
    "passwd",
    "dosfstools",  # test_probe makes FAT file systems to identify
)
CACHE = REPO / ".cache" / f"py39-{SUITE}"
# pwck of bullseye's shadow 4.8 looks groups up through NSS after chrooting
# into -R, which needs libraries the minimal test root does not have: a
# property of that tool version, not of Python 3.9 (Debian 12's pwck runs it).
DESELECT = ("tests/unit/test_cli.py::test_apply_result_passes_pwck",)
RUN = r"""
set -eu
tree=$1; shift
mount --bind "$OSCONF_REPO" "$tree/src"
mount -t proc proc "$tree/proc"
mount -t tmpfs tmpfs "$tree/tmp"
exec chroot "$tree" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    CI="${CI:-}" PYTHONDONTWRITEBYTECODE=1 HYPOTHESIS_STORAGE_DIRECTORY=/tmp/hypothesis \
    sh -c 'cd /src && exec python3 -m pytest -q -p no:cacheprovider "$@"' pytest "$@"
"""


def _tree() -> str:
    """The cached bullseye tree, built on first use."""
    marker = CACHE / ".osconf-packages"
    wanted = " ".join(PACKAGES)
    if marker.exists() and marker.read_text() == wanted:
        return str(CACHE / "root")
    mmdebstrap = require_tool("mmdebstrap")
    building = CACHE.with_name(CACHE.name + ".new")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    result = subprocess.run(
        [mmdebstrap, "--variant=minbase", "--include=" + ",".join(PACKAGES)]
        + [SUITE, str(building / "root"), MIRROR],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        timeout=1200,
    )
    if result.returncode != 0:
        shutil.rmtree(building, ignore_errors=True)
        message = f"cannot build a {SUITE} tree from {MIRROR}: {result.stderr[-2000:]}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    (building / "root/src").mkdir()
    (building / ".osconf-packages").write_text(wanted)
    shutil.rmtree(CACHE, ignore_errors=True)
    building.rename(CACHE)
    return str(CACHE / "root")


@pytest.mark.integration
def test_unit_and_golden_tiers_pass_under_python_3_9() -> None:
    require_root()
    unshare = require_tool("unshare", package="util-linux")
    tree = _tree()
    version = subprocess.run(
        ["chroot", tree, "python3", "-c", "import sys; print(sys.version_info[:2])"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        check=True,
    )
    assert version.stdout.strip() == "(3, 9)"
    args = ["tests/unit", "tests/golden", "--ignore=tests/unit/test_lint.py"]
    args += [f"--deselect={test}" for test in DESELECT]
    env = dict(os.environ, OSCONF_REPO=str(REPO))
    result = subprocess.run(
        [unshare, "-m", "--propagation", "private", "sh", "-c", RUN, "run39", tree, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        env=env,
        timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout
