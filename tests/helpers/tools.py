"""Finding the real programs a test tier needs.

Outside CI a missing tool skips the test; in CI (`CI=true`) it fails it,
because `tools/test.sh` is supposed to have installed it.
"""

import os
import shutil
from typing import Optional

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_tool(name: str, *, package: Optional[str] = None) -> str:
    """The absolute path of `name`; skip (fail in CI) when it is missing."""
    path = shutil.which(name) or next(
        (
            p
            for p in (
                f"/usr/sbin/{name}",
                f"/sbin/{name}",
                f"/usr/lib/systemd/{name}",
                f"/lib/systemd/{name}",
            )
            if os.access(p, os.X_OK)
        ),
        None,
    )
    if path is None:
        message = f"{name} is not installed (Debian package {package or name})"
        if IN_CI:
            pytest.fail(message + "; tools/test.sh should have installed it")
        pytest.skip(message)
    return path


def require_root() -> None:
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("this test needs root")
        pytest.skip("needs root")
