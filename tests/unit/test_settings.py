"""osconf's own settings file and run-time paths (issue 13, items 6 and 12)."""

import fcntl
import os
from pathlib import Path

import pytest

from osconf import settings
from osconf.errors import ExitCode
from osconf.system import System
from tests.conftest import SAMPLES, make_root, run_osconf


def test_a_bad_byte_costs_one_line_not_the_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/osconf.conf").write_bytes(
        b"# r\xe9glages\nnetwork_stack=ifupdown\ncomment=caf\xe9\npartition=LABEL=BOOT\n"
    )
    assert settings.read(System(root)) == {"network_stack": "ifupdown", "partition": "LABEL=BOOT"}
    assert "not valid UTF-8" in caplog.text


@pytest.mark.parametrize("kind", ["directory", "fifo", "loop"])
def test_a_settings_file_that_is_not_a_file_is_ignored(tmp_path: Path, kind: str) -> None:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    path = root / "etc/osconf.conf"
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        os.symlink("osconf.conf", path)
    assert settings.read(System(root)) == {}


def test_non_utf8_settings_do_not_stop_apply(tmp_path: Path) -> None:
    # Issue 13, item 6: one such byte made every run exit 1.
    root = make_root(tmp_path / "root")
    (root / "etc/osconf.conf").write_bytes(b"# \xff\nnetwork_stack=ifupdown\n")
    result = run_osconf(
        "apply", "--root", str(root), "--conf", str(SAMPLES / "vpc.conf"), "--no-live",
        env={settings.RUN_DIR_VARIABLE: str(tmp_path / "run")},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (root / "etc/network/interfaces.d/osconf").exists()


def test_runtime_paths_follow_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(settings.RUN_DIR_VARIABLE, "/tmp/x")
    assert settings.runtime() == settings.Runtime("/tmp/x/osconf.lock", "/tmp/x/osconf")
    monkeypatch.delenv(settings.RUN_DIR_VARIABLE)
    assert settings.runtime() == settings.Runtime("/run/osconf.lock", "/run/osconf")


def test_apply_with_conf_takes_the_lock(tmp_path: Path) -> None:
    # Issue 13, item 12: `apply --conf` ran beside a boot run.
    root = make_root(tmp_path / "root")
    run = tmp_path / "run"
    run.mkdir()
    fd = os.open(run / "osconf.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        result = run_osconf(
            "apply", "--root", str(root), "--conf", str(SAMPLES / "vpc.conf"), "--no-live",
            "--lock-timeout", "0.3", env={settings.RUN_DIR_VARIABLE: str(run)},
        )  # fmt: skip
    finally:
        os.close(fd)
    assert result.returncode == ExitCode.BUSY, result.stderr
    assert (root / "etc/hostname").read_text() == "debian\n"
