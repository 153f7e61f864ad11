"""The boot run's guarantees: one run at a time, install/uninstall, switches, status."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from osconf.errors import ExitCode
from tests.conftest import REPO, SAMPLES, make_root, run_osconf
from tests.helpers.loopdisk import LoopDisk
from tests.helpers.tools import require_root, require_tool

pytestmark = pytest.mark.integration
CONF = "aliyun_custom_image/os.conf"
HOLD = """
import sys, time
from osconf.lifecycle import LOCK_FILE, locked
with locked(LOCK_FILE, 5):
    print("held", flush=True)
    time.sleep(float(sys.argv[1]))
"""


def test_the_lock_serialises_runs(tmp_path: Path) -> None:
    require_root()
    root = make_root(tmp_path / "root")
    with LoopDisk(tmp_path) as disk:
        disk.mkfs(1, "ext4", "OSCLOCK")
        disk.put(1, CONF, (SAMPLES / "vpc.conf").read_bytes())
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLD, "3"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            universal_newlines=True,
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline() == "held\n"
            args = ["apply", "--root", str(root), "--no-live", "--partition", "LABEL=OSCLOCK"]
            impatient = run_osconf(*args, "--lock-timeout", "0.5")
            assert impatient.returncode == ExitCode.BUSY, impatient.stderr
            assert "another osconf holds" in impatient.stderr
            assert disk.listing(1, "aliyun_custom_image") == ["os.conf"]
            started = time.monotonic()
            patient = run_osconf(*args, "--lock-timeout", "30")
            assert patient.returncode == 0, patient.stderr
            assert time.monotonic() - started > 1.0, "it should have waited for the holder"
        finally:
            holder.wait(timeout=30)
        assert disk.listing(1, "aliyun_custom_image") == []


def test_two_concurrent_runs_apply_once(tmp_path: Path) -> None:
    require_root()
    root = make_root(tmp_path / "root")
    with LoopDisk(tmp_path) as disk:
        disk.mkfs(1, "ext4", "OSCTWO")
        disk.put(1, CONF, (SAMPLES / "vpc.conf").read_bytes())
        argv = [
            sys.executable,
            "-m",
            "osconf",
            "apply",
            "--root",
            str(root),
            "--no-live",
            "--partition",
            "LABEL=OSCTWO",
        ]
        runs = [
            subprocess.Popen(argv, cwd=REPO, stderr=subprocess.PIPE, universal_newlines=True)
            for _ in range(2)
        ]
        results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in runs]
        assert [code for code, _ in results] == [0, 0], results
        outcomes = run_osconf("status", "--root", str(root), "--long", "-n", "2").stdout
        history = outcomes.split("history (newest first):\n")[1].splitlines()
        assert sorted(line.split()[1] for line in history) == ["absent", "applied"]


def test_disable_file_stops_everything(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root", {"etc/osconf/disabled": ""})
    result = run_osconf("apply", "--root", str(root), "--no-live", "--partition", "LABEL=NONE")
    assert result.returncode == 0 and "disabled" in result.stderr
    assert "disabled" in run_osconf("status", "--root", str(root)).stdout


def test_kernel_switch(tmp_path: Path) -> None:
    from osconf.lifecycle import disabled_by
    from osconf.locate import Host
    from osconf.system import System

    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/cmdline").write_text("ro quiet osconf=off console=ttyS0\n")
    assert disabled_by(System("/"), Host(proc=str(tmp_path / "proc"))) == (
        "kernel command line has osconf=off"
    )
    (tmp_path / "proc/cmdline").write_text("ro quiet osconf=on\n")
    assert disabled_by(System("/"), Host(proc=str(tmp_path / "proc"))) is None


def test_status_before_any_run(tmp_path: Path) -> None:
    result = run_osconf("status", "--root", str(make_root(tmp_path / "root")))
    assert result.returncode == 0 and result.stdout.startswith("status: not-run")


def test_install_enables_the_units_for_systemd(tmp_path: Path) -> None:
    systemctl = require_tool("systemctl", package="systemd")
    tree = make_root(tmp_path / "tree", {"usr/lib/systemd/systemd": "", "usr/bin/osconf": ""})
    result = run_osconf("install", "--root", str(tree), "--partition", "LABEL=boot", "--watch")
    assert result.returncode == 0, result.stderr
    for unit in ("osconf.service", "osconf-watch.service"):
        state = subprocess.run(
            [systemctl, f"--root={tree}", "is-enabled", unit],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            universal_newlines=True,
        )
        assert state.stdout.strip() == "enabled", (unit, state.stdout, state.stderr)
    # The watcher is opt-in: installing again without --watch removes it.
    again = run_osconf("install", "--root", str(tree), "--partition", "LABEL=boot")
    assert again.returncode == 0 and "(no --watch)" in again.stdout, again.stdout
    assert not (tree / "etc/systemd/system/osconf-watch.service").exists()
    assert not (tree / "etc/systemd/system/multi-user.target.wants/osconf-watch.service").exists()
    text = (tree / "etc/systemd/system/osconf.service").read_text()
    # The boot runs the light entry point directly (no console script, no -m).
    assert 'ExecStart=/usr/bin/python3 -I -c "import osconf.service as s; s.boot()"\n' in text
    assert "\npartition=LABEL=boot\n" in (tree / "etc/osconf.conf").read_text()
    removed = run_osconf("uninstall", "--root", str(tree))
    assert removed.returncode == 0
    state = subprocess.run(
        [systemctl, f"--root={tree}", "is-enabled", "osconf.service"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )
    assert state.stdout.strip() != "enabled"
    assert not (tree / "etc/osconf.conf").exists()


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = require_tool("systemd-analyze", package="systemd")
    for unit in ("osconf.service", "osconf-watch.service"):
        text = (REPO / "units" / unit).read_text().replace("/usr/bin/osconf", "/bin/true")
        (tmp_path / unit).write_text(text)
    units = [str(tmp_path / "osconf.service"), str(tmp_path / "osconf-watch.service")]
    result = subprocess.run(
        [analyze, "verify", *units],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_initscript_passes_shellcheck() -> None:
    shellcheck = require_tool("shellcheck")
    subprocess.run(["bash", "-n", str(REPO / "initscripts/osconf")], check=True)
    result = subprocess.run(
        [shellcheck, str(REPO / "initscripts/osconf")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )
    assert result.returncode == 0, result.stdout


def test_install_without_systemd_uses_the_initscript(tmp_path: Path) -> None:
    tree = make_root(tmp_path / "tree", {"etc/rc.d/rc3.d/S10network": ""})
    result = run_osconf("install", "--root", str(tree))
    assert result.returncode == 0, result.stderr
    script = tree / "etc/init.d/osconf"
    assert os.access(script, os.X_OK)
    assert "OSCONF=/usr/bin/python3 -m osconf" in script.read_text()
    for level in "2345":
        link = tree / f"etc/rc.d/rc{level}.d/S09osconf"
        assert os.readlink(link) == "../init.d/osconf"


def test_status_reaches_systemd_through_sd_notify(tmp_path: Path) -> None:
    import socket

    pytest.importorskip("systemd.daemon")
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.settimeout(10)
        root = make_root(tmp_path / "root")
        result = run_osconf(
            "apply",
            "--root",
            str(root),
            "--partition",
            "LABEL=NO-SUCH-THING",
            env={"NOTIFY_SOCKET": path},
        )
        assert result.returncode == ExitCode.NOT_FOUND
        assert sock.recv(4096) == b"STATUS=Looking for the first partition"
