"""Bad values on the command line end with a documented code, never a
traceback (issue 13, item 16)."""

from pathlib import Path

import pytest

from tests.conftest import run_osconf


@pytest.mark.parametrize("interval", ["-1", "0", "nan", "inf", "x"])
def test_watch_refuses_intervals_it_cannot_sleep(interval: str) -> None:
    result = run_osconf("watch", "--once", "--interval", interval)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "--interval" in result.stderr


def test_status_of_a_root_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a tree\n")
    result = run_osconf("status", "--root", str(tmp_path / "file"))
    assert result.returncode in (0, 4), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
