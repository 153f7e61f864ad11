"""Bad values on the command line end with a documented code, never a
traceback (issue 13, item 16)."""

import os
from pathlib import Path
from typing import Tuple

import pytest

from osconf.errors import ExitCode
from tests.conftest import run_osconf


@pytest.mark.parametrize("interval", ["-1", "0", "nan", "inf", "x"])
def test_watch_refuses_intervals_it_cannot_sleep(interval: str) -> None:
    result = run_osconf("watch", "--once", "--interval", interval)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "--interval" in result.stderr


@pytest.mark.parametrize("kind", ["file", "fifo", "dangling", "missing"])
@pytest.mark.parametrize(
    "command",
    [("status",), ("apply", "--no-live", "--conf", "os.conf"), ("plan", "--conf", "os.conf"),
     ("install",), ("uninstall",), ("locate",)],
)  # fmt: skip
def test_a_root_that_is_not_a_directory_is_a_bad_command_line(
    tmp_path: Path, kind: str, command: Tuple[str, ...]
) -> None:
    root = tmp_path / "root"
    if kind == "file":
        root.write_text("not a tree\n")
    elif kind == "fifo":
        os.mkfifo(root)
    elif kind == "dangling":
        os.symlink(tmp_path / "nowhere", root)
    (tmp_path / "os.conf").write_text("hostname=a\n")
    argv = [str(tmp_path / a) if a == "os.conf" else a for a in command]
    result = run_osconf(*argv, "--root", str(root))
    assert result.returncode == ExitCode.USAGE, result.stderr
    assert "argument --root: not a directory" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
