"""osconf built into the packages users install: wheel, sdist, .deb, .rpm.

Each build runs on a copy of the checkout's files (tracked and new, not
ignored: what a commit of the working tree would hold), so no build product
lands in the tree. Results are cached under `.cache/packages/` by a hash of
those files, so every test and tier that needs a package shares one build
(a file lock keeps parallel pytest runs from building the same one twice).

    build_wheel(out) -> out/osconf-VERSION-py3-none-any.whl
    build_sdist(out) -> out/osconf-VERSION.tar.gz
    build_deb(out)   -> out/osconf_VERSION_all.deb   (dpkg-buildpackage -b)
    build_rpm(out)   -> out/osconf-VERSION-1.noarch.rpm  (rpmbuild -tb on the sdist)
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Dict, List, Optional

from tests.conftest import REPO

CACHE = REPO / ".cache" / "packages"
# Debian's own tools, not the virtualenv's: dpkg-buildpackage runs pybuild
# with /usr/bin/python3.
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def source_files() -> List[str]:
    """The checkout's files as a commit of the working tree would hold them."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        check=True,
    ).stdout.decode()
    return sorted(p for p in listing.split("\0") if p and os.path.lexists(REPO / p))


def source_hash() -> str:
    digest = hashlib.sha256()
    for name in source_files():
        path = REPO / name
        digest.update(name.encode() + b"\0")
        if path.is_symlink():
            digest.update(b"link:" + os.readlink(path).encode())
        else:
            digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _stage(into: Path) -> Path:
    """A copy of the source files in `into/osconf-src` (symlinks kept)."""
    tree = into / "osconf-src"
    for name in source_files():
        source, target = REPO / name, tree / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            os.symlink(os.readlink(source), target)
        else:
            shutil.copy2(source, target)
    return tree


def _env() -> Dict[str, str]:
    """The environment for Debian's build tools: no virtualenv in the way."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = SYSTEM_PATH
    env["LC_ALL"] = "C.UTF-8"
    env.setdefault("HOME", "/root")
    return env


def _run(argv: List[str], cwd: Path, env: Optional[Dict[str, str]] = None) -> None:
    result = subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        universal_newlines=True,
        timeout=1200,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} failed ({result.returncode}):\n{result.stdout[-4000:]}"
        )


def _make_wheel(work: Path, out: Path) -> None:
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "-w",
            str(out),
            str(_stage(work)),
        ],
        cwd=work,
    )


def _make_sdist(work: Path, out: Path) -> None:
    _run([sys.executable, "setup.py", "-q", "sdist", "-d", str(out)], cwd=_stage(work))


def _make_deb(work: Path, out: Path) -> None:
    tree = _stage(work)
    _run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=tree, env=_env())
    for deb in work.glob("*.deb"):
        shutil.move(str(deb), str(out / deb.name))


def _make_rpm(work: Path, out: Path, defines: Optional[Dict[str, str]] = None) -> None:
    sdist = Path(build_sdist(work / "sdist"))
    top = work / "rpmbuild"
    more = [
        arg for name, value in (defines or {}).items() for arg in ("--define", f"{name} {value}")
    ]
    # --nodeps: the build requirements are RHEL package names, which Debian's
    # empty rpm database cannot satisfy; the tools themselves are here.
    _run(
        ["rpmbuild", "-tb", "--nodeps", "--define", f"_topdir {top}", *more, str(sdist)],
        cwd=work,
        env=_env(),
    )
    for rpm in (top / "RPMS").rglob("*.rpm"):
        shutil.move(str(rpm), str(out / rpm.name))


def _cached(kind: str, pattern: str, make: Callable[[Path, Path], None], out: Path) -> Path:
    """The package `kind` for the current sources, built once, copied into `out`."""
    CACHE.mkdir(parents=True, exist_ok=True)
    folder = CACHE / f"{kind}-{source_hash()}"
    with open(CACHE / f".{kind}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".complete").exists():
            for old in CACHE.glob(f"{kind}-*"):
                shutil.rmtree(old, ignore_errors=True)
            folder.mkdir()
            with tempfile.TemporaryDirectory(prefix=f"osconf-{kind}-") as work:
                make(Path(work), folder)
            (folder / ".complete").write_text("")
    (built,) = folder.glob(pattern)
    out.mkdir(parents=True, exist_ok=True)
    target = out / built.name
    shutil.copyfile(built, target)
    return target


def build_wheel(out: Path) -> Path:
    return _cached("wheel", "osconf-*.whl", _make_wheel, Path(out))


def build_sdist(out: Path) -> Path:
    return _cached("sdist", "osconf-*.tar.gz", _make_sdist, Path(out))


def build_deb(out: Path) -> Path:
    return _cached("deb", "osconf_*.deb", _make_deb, Path(out))


def build_rpm_with(out: Path, defines: Dict[str, str]) -> Path:
    """The .rpm built with rpm macros `defines` (not cached), in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="osconf-rpm-") as work:
        _make_rpm(Path(work), out, defines)
    (built,) = out.glob("osconf-*.rpm")
    return built


def build_rpm(out: Path) -> Path:
    return _cached("rpm", "osconf-*.noarch.rpm", _make_rpm, Path(out))
