"""Debian trees built with mmdebstrap from the machine's own apt mirror.

No mirror address is written in the repository: the archive this machine's
apt uses (`apt-get indextargets`) serves the trees too, whatever suite they
are. Trees are cached under `.cache/trees/` by a hash of everything that
goes into them, and built once (a file lock serialises parallel tiers).
"""

import fcntl
import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List, Sequence

from tests.conftest import REPO

CACHE = REPO / ".cache" / "trees"


def host_archives() -> Dict[str, str]:
    """{release: archive URI} for the Debian suites this machine's apt reads."""
    listing = subprocess.run(
        ["apt-get", "indextargets", "--format", "$(REPO_URI) $(RELEASE) $(TARGET_OF)"],
        stdout=subprocess.PIPE,
        universal_newlines=True,
        check=True,
    ).stdout
    found = {}
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[2] == "deb":
            found.setdefault(fields[1], fields[0])
    return found


def sources(suite: str) -> List[str]:
    """One-line apt sources for `suite` (with its -updates and -security when
    the host has those archives), on the host's mirrors."""
    archives = host_archives()
    main = next((uri for release, uri in archives.items() if "-" not in release), None)
    if main is None:
        raise RuntimeError(f"no Debian archive in this machine's apt configuration: {archives}")
    lines = [f"deb {main} {suite} main"]
    for pocket in ("updates", "security"):
        uri = next((u for r, u in archives.items() if r.endswith("-" + pocket)), None)
        if uri is not None:
            lines.append(f"deb {uri} {suite}-{pocket} main")
    return lines


def tree(name: str, suite: str, packages: Sequence[str], options: Sequence[str] = ()) -> Path:
    """A cached Debian `suite` tree (minbase + `packages`); do not modify it:
    copy it (`cp -a`) for a test that changes it."""
    mirrors = sources(suite)
    key = hashlib.sha256(
        "\n".join([suite, *mirrors, *sorted(packages), *options]).encode()
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
                *mirrors,
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
