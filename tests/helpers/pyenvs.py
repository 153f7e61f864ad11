"""Virtualenvs of other Pythons for the version tiers, cached under `.cache/venvs/`.

A venv is keyed by its interpreter's exact version and its requirement
list (and, for the "newest releases" tier, the day: it follows PyPI), so
several tests and runs share one, and a change of pins makes a new one.
"""

import fcntl
import hashlib
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Optional, Sequence, Tuple

import pytest

from tests.conftest import REPO
from tests.helpers.tools import IN_CI

CACHE = REPO / ".cache" / "venvs"
PYENV = Path.home() / ".pyenv" / "versions"


def _version(name: str) -> Tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", name)[:3])


def pyenv_python(series: Optional[str] = None) -> str:
    """pyenv's newest `series` (e.g. "3.6") interpreter, or its newest 3.x.

    Skips (fails under CI) when pyenv has none: these machines have them.
    """
    found = sorted(
        (p for p in PYENV.glob("3.*") if re.fullmatch(r"3\.\d+\.\d+", p.name)),
        key=lambda p: _version(p.name),
    )
    if series is not None:
        found = [p for p in found if p.name.startswith(series + ".")]
    found = [p for p in found if (p / "bin/python3").is_file()]
    if not found:
        message = f"no pyenv Python {series or '3'} in {PYENV}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return str(found[-1] / "bin/python3")


def venv(name: str, python: str, requirements: Sequence[str], *, daily: bool = False) -> str:
    """The python of a cached venv of `python` with `requirements` installed."""
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version)"],
        stdout=subprocess.PIPE,
        universal_newlines=True,
        check=True,
    ).stdout.strip()
    parts = [python, version, *requirements]
    if daily:
        parts.append(time.strftime("%Y-%m-%d", time.gmtime()))
    key = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    CACHE.mkdir(parents=True, exist_ok=True)
    folder = CACHE / f"{name}-{key}"
    with open(CACHE / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (folder / ".complete").exists():
            return str(folder / "bin/python")
        for old in CACHE.glob(f"{name}-*"):
            shutil.rmtree(old, ignore_errors=True)
        subprocess.run([python, "-m", "venv", str(folder)], check=True)
        pip = [str(folder / "bin/python"), "-m", "pip", "install", "-q"]
        pip += ["--disable-pip-version-check"]
        # The pip a 3.6 venv starts with predates manylinux2014 wheels.
        _pip(pip + ["--upgrade", "pip<22" if _is_36(version) else "pip"])
        _pip(pip + list(requirements))
        (folder / ".complete").write_text("")
    return str(folder / "bin/python")


def _is_36(version: str) -> bool:
    return version.startswith("3.6.")


def _pip(argv: Sequence[str]) -> None:
    result = subprocess.run(
        list(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        universal_newlines=True,
        timeout=1800,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{result.stdout[-4000:]}")
