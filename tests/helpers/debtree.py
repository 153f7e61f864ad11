"""Debian trees built with mmdebstrap from the machine's own apt mirror.

No mirror address is written in the repository: the sources this machine's
apt uses serve the trees too (tests/helpers/mirror.py). Trees are cached
under `.cache/trees/` by a hash of everything that goes into them, and
built once (a file lock serialises parallel tiers).
"""

import fcntl
import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import List, Sequence

from tests.conftest import REPO
from tests.helpers.mirror import mirrors

CACHE = REPO / ".cache" / "trees"


def sources(suite: str) -> List[str]:
    """One-line apt sources for `suite` (and its -updates, -security) as the
    host's apt configuration has them."""
    return mirrors(suite)


def tree(name: str, suite: str, packages: Sequence[str], options: Sequence[str] = ()) -> Path:
    """A cached Debian `suite` tree (minbase + `packages`); do not modify it:
    copy it (`cp -a`) for a test that changes it."""
    apt = sources(suite)
    key = hashlib.sha256(
        "\n".join([suite, *apt, *sorted(packages), *options]).encode()
    ).hexdigest()[:16]
    CACHE.mkdir(parents=True, exist_ok=True)
    folder = CACHE / f"{name}-{key}"
    with open(CACHE / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (folder / ".complete").exists():
            return folder / "root"
        for old in CACHE.glob(f"{name}-*"):
            shutil.rmtree(old, ignore_errors=True)
        folder.mkdir()
        result = subprocess.run(
            [
                "mmdebstrap",
                "--quiet",
                "--variant=minbase",
                "--include=" + ",".join(packages),
                *options,
                suite,
                str(folder / "root"),
                *apt,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            universal_newlines=True,
            timeout=1800,
        )
        if result.returncode != 0:
            shutil.rmtree(folder, ignore_errors=True)
            raise RuntimeError(f"mmdebstrap {suite} failed: {result.stdout[-3000:]}")
        (folder / ".complete").write_text("")
    return folder / "root"


def copy(source: Path, target: Path) -> Path:
    """A private copy of a cached tree (hard links would share inodes)."""
    subprocess.run(["cp", "-a", str(source), str(target)], check=True)
    return target


# A Debian 12 image without an init system, with osconf's dependencies from
# Debian: what the SysV script is run in (test_initscript_chroot.py).
PLAIN_PACKAGES = (
    "python3",
    "python3-netaddr",
    "python3-pyroute2",
    "passwd",
    "openssl",
    "dosfstools",
)


def plain_tree() -> str:
    """The cached tree above (do not modify it: mount an overlay on it)."""
    return str(tree("plain", "bookworm", PLAIN_PACKAGES))
