"""Fixtures shared by every tier: the bundled samples and a minimal image root."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"

# No timed assertion in any test: on a busy CI machine a slow example is not
# a failure (speed is measured in bench/). Profiles of their own say so too.
settings.register_profile("osconf", deadline=None)
settings.load_profile("osconf")


def make_root(base: Path, files: Optional[Dict[str, str]] = None) -> Path:
    """A minimal image tree under `base`: a copy of samples/root (the files
    osconf's core edits, plus home and shells so `pwck` is satisfied),
    with `files` added or replaced."""
    base.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-a", f"{SAMPLES / 'root'}/.", str(base)], check=True)
    for rel, content in (files or {}).items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    os.chmod(base / "etc/shadow", 0o640)
    return base


@pytest.fixture
def minimal_root(tmp_path: Path) -> Path:
    return make_root(tmp_path / "root")


@pytest.fixture
def samples() -> Path:
    return SAMPLES


def run_osconf(
    *args: str, env: Optional[Dict[str, str]] = None
) -> "subprocess.CompletedProcess[str]":
    """Runs the real command line in a child process."""
    full_env = dict(os.environ)
    full_env.pop("INVOCATION_ID", None)
    full_env.pop("JOURNAL_STREAM", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "osconf", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        env=full_env,
        cwd=REPO,
        timeout=120,
    )
