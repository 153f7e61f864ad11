"""The house rules are enforced, not hoped for: ruff and mypy --strict."""

import subprocess
import sys

from tests.conftest import REPO

PATHS = ["osconf", "tests", "bench", "setup.py"]


def _run(*argv: str) -> "subprocess.CompletedProcess[str]":
    existing = [p for p in PATHS if (REPO / p).exists()]
    return subprocess.run(
        [sys.executable, "-m", *argv, *existing],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )


def test_ruff_check() -> None:
    result = _run("ruff", "check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = _run("ruff", "format", "--check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "osconf"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
