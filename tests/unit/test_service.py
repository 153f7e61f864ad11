"""The boot entry point (osconf.service): what a boot without os.conf does,
when it hands over to the full pipeline, and what it does not load."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from osconf import lifecycle, log, sd, service, state
from osconf.errors import BusyError
from osconf.locate import Host
from tests.conftest import REPO
from tests.unit.test_locate import layout

HEAVY = {
    "argparse", "logging", "dataclasses", "json", "hashlib", "tempfile", "re", "typing",
    "contextlib", "pathlib", "subprocess", "socket", "collections", "systemd",
    "osconf.cli", "osconf.errors", "osconf.parse", "osconf.system", "osconf.runner",
}  # fmt: skip


def boot_layout(tmp: Path, mounted: bool = True, conf: Optional[bytes] = None) -> Host:
    """/ on vda2; vda1, the first partition, mounted at tmp/mnt (or not)."""
    host = layout(tmp, {"vda": [1, 2]}, "252:2")
    (tmp / "dev").mkdir()
    (tmp / "dev/vda1").write_bytes(b"")
    (tmp / "mnt").mkdir()
    if mounted:
        with open(tmp / "proc/self/mountinfo", "a") as handle:
            handle.write(f"30 22 252:1 / {tmp / 'mnt'} rw - ext4 /dev/vda1 rw\n")
    if conf is not None:
        (tmp / "mnt/aliyun_custom_image").mkdir()
        (tmp / "mnt/aliyun_custom_image/os.conf").write_bytes(conf)
    (tmp / "root").mkdir()
    # An instance that has booted before: its SSH host keys made and recorded
    # (else the fast path hands over: osconf.sshkeys.pending).
    (tmp / "root/etc/ssh").mkdir(parents=True)
    for kind in ("rsa", "ecdsa", "ed25519"):
        for suffix in ("", ".pub"):
            (tmp / f"root/etc/ssh/ssh_host_{kind}_key{suffix}").write_text("")
    (tmp / "root/var/lib/osconf").mkdir(parents=True)
    (tmp / "root/var/lib/osconf/ssh-host-keys.json").write_text('{"version": 1, "macs": []}\n')
    return host


def settings(tmp: Path, host: Host) -> lifecycle.Settings:
    return lifecycle.Settings(lock_file=str(tmp / "run/osconf.lock"), lock_timeout=0.2, host=host)


def runs(tmp: Path) -> list:
    return json.loads((tmp / "root/var/lib/osconf/state.json").read_text())["runs"]


def test_no_os_conf_is_recorded_and_said(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    host = boot_layout(tmp_path)
    assert service.nothing_to_do(settings(tmp_path, host), str(tmp_path / "root")) == 0
    [run] = runs(tmp_path)
    assert run["outcome"] == "absent" and run["message"] == "no os.conf"
    assert run["source"] == str(tmp_path / "mnt/aliyun_custom_image/os.conf")
    said = capsys.readouterr().err
    assert f"first partition {tmp_path / 'dev/vda1'} (partition 1 of the root disk" in said
    assert f"no {run['source']}: nothing to do" in said
    mode = os.stat(tmp_path / "root/var/lib/osconf/state.json").st_mode & 0o777
    assert mode == 0o600 and not list((tmp_path / "root/var/lib/osconf").glob("*.tmp"))


def test_a_file_is_handed_over(tmp_path: Path) -> None:
    host = boot_layout(tmp_path, conf=b"hostname=a\n")
    assert service.nothing_to_do(settings(tmp_path, host), str(tmp_path / "root")) is None
    assert not (tmp_path / "root/var/lib/osconf/state.json").exists()


def test_a_hostile_os_conf_is_handed_over_too(tmp_path: Path) -> None:
    host = boot_layout(tmp_path)
    (tmp_path / "mnt/aliyun_custom_image").mkdir()
    os.symlink("/nonexistent", tmp_path / "mnt/aliyun_custom_image/os.conf")
    assert service.nothing_to_do(settings(tmp_path, host), str(tmp_path / "root")) is None


def test_an_unmounted_partition_is_handed_over(tmp_path: Path) -> None:
    host = boot_layout(tmp_path, mounted=False)
    assert service.nothing_to_do(settings(tmp_path, host), str(tmp_path / "root")) is None


@pytest.mark.parametrize("how", ["file", "kernel"])
def test_switched_off(tmp_path: Path, how: str) -> None:
    host = boot_layout(tmp_path)
    if how == "file":
        (tmp_path / "root/etc/osconf").mkdir(parents=True)
        (tmp_path / "root/etc/osconf/disabled").write_text("")
    else:
        (tmp_path / "proc/cmdline").write_text("ro osconf=off\n")
    assert service.nothing_to_do(settings(tmp_path, host), str(tmp_path / "root")) == 0
    [run] = runs(tmp_path)
    assert run["outcome"] == "disabled"
    assert not (tmp_path / "run").exists(), "a disabled boot takes no lock"


def test_the_lock_is_respected(tmp_path: Path) -> None:
    host = boot_layout(tmp_path)
    with lifecycle.locked(str(tmp_path / "run/osconf.lock"), 1):
        with pytest.raises(BusyError):
            service.nothing_to_do(settings(tmp_path, host), str(tmp_path / "root"))


def test_the_configured_partition_is_used(tmp_path: Path) -> None:
    host = boot_layout(tmp_path)
    (tmp_path / "root/etc").mkdir(parents=True, exist_ok=True)
    (tmp_path / "root/etc/osconf.conf").write_text(f"# by install\npartition={tmp_path}/nope\n")
    with pytest.raises(Exception, match="nope"):
        service.nothing_to_do(settings(tmp_path, host), str(tmp_path / "root"))


@pytest.mark.parametrize(
    "text",
    [
        "partition=UUID=0a1b-2C3D\n",
        "# comment\n\n  partition=LABEL=boot  \r\n",
        "partition=/dev/vda1\nother=x\n",
        "partition=\n",
        "partition=a\npartition=b\n",
        "",
    ],
)
def test_plain_setting_agrees_with_the_parser(tmp_path: Path, text: str) -> None:
    from osconf.system import System

    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/osconf.conf").write_text(text)
    assert lifecycle.plain_setting(text, "partition") == lifecycle.configured_partition(
        System(str(tmp_path))
    )


@pytest.mark.parametrize(
    "text", ['partition="LABEL=a b"\n', "export partition=x\n", "partition=$(x)\n", "p art=1\n"]
)
def test_anything_else_goes_to_the_parser(text: str) -> None:
    with pytest.raises(ValueError):
        lifecycle.plain_setting(text, "partition")


def test_the_boot_path_loads_nothing_heavy(tmp_path: Path) -> None:
    host = boot_layout(tmp_path)
    code = (
        "import json, sys\n"
        "before = set(sys.modules)\n"
        "from osconf import lifecycle, service\n"
        "from osconf.locate import Host\n"
        f"host = Host(proc={host.proc!r}, sys={host.sys!r}, dev={host.dev!r})\n"
        f"settings = lifecycle.Settings(lock_file={str(tmp_path / 'lock')!r}, host=host)\n"
        f"code = service.nothing_to_do(settings, {str(tmp_path / 'root')!r})\n"
        "print(json.dumps({'code': code, 'loaded': sorted(set(sys.modules) - before)}))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "NOTIFY_SOCKET": "@osconf-test"}
    result = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, universal_newlines=True, cwd=REPO,
                            env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["code"] == 0
    loaded = set(report["loaded"])
    assert "osconf.locate" in loaded  # the probe really ran the path
    assert not ({m.split(".")[0] for m in loaded} | loaded) & HEAVY, loaded


def test_notify_without_systemd_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, address in ((str(tmp_path / "notify"), str(tmp_path / "notify")),
                          ("@osconf-test-notify", "\0osconf-test-notify")):  # fmt: skip
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
            listener.bind(address)
            listener.settimeout(10)
            monkeypatch.setenv("NOTIFY_SOCKET", name)
            sd.notify("STATUS=No os.conf: nothing to do")
            assert listener.recv(4096) == b"STATUS=No os.conf: nothing to do"


def test_notify_is_best_effort(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "nobody"))
    sd.notify("READY=1")
    monkeypatch.setenv("NOTIFY_SOCKET", "relative")
    sd.notify("READY=1")


def test_state_keeps_history_and_survives_damage(tmp_path: Path) -> None:
    text = ""
    for index in range(state.HISTORY + 5):
        text = state.render(state.Run(state.now(), "absent", f"run {index}", "/p\n\udcff"), text)
    parsed = json.loads(text)["runs"]
    assert len(parsed) == state.HISTORY and parsed[0]["message"] == f"run {state.HISTORY + 4}"
    assert parsed[0]["source"] == "/p\n\udcff"
    assert json.loads(state.render(state.Run("t", "absent", "x"), "[[[" * 10000))["runs"][0]
    foreign = '{"version": 1, "runs": [\n{"x": 1}garbage\n]}\n'
    assert len(json.loads(state.render(state.Run("t", "absent", "x"), foreign))["runs"]) == 1


def test_journal_prefixes_only_on_the_journal_stream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    assert log.line(log.ERR, "x") == "osconf: x\n"
    with open(tmp_path / "stream", "w") as stream:
        monkeypatch.setattr(sys, "stderr", stream)
        st = os.fstat(stream.fileno())
        monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino}")
        assert log.line(log.ERR, "x") == "<3>x\n"
        assert log.line(log.INFO, "y") == "<6>y\n"
        monkeypatch.setenv("JOURNAL_STREAM", f"{st.st_dev}:{st.st_ino + 1}")
        assert log.line(log.INFO, "y") == "osconf: y\n"


JOURNAL_PROBE = """
import sys
from osconf import log
log.setup()
loaded_before = "systemd.journal" in sys.modules
import logging
logging.getLogger("osconf").warning("one line")
print(loaded_before, "systemd.journal" in sys.modules or "no systemd-python")
"""


def test_the_journal_is_loaded_only_when_written_to(tmp_path: Path) -> None:
    with open(tmp_path / "stderr", "w") as stderr:
        st = os.fstat(stderr.fileno())
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "INVOCATION_ID": "1",
               "JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}  # fmt: skip
        result = subprocess.run([sys.executable, "-c", JOURNAL_PROBE], stdout=subprocess.PIPE,
                                stderr=stderr, universal_newlines=True, env=env)  # fmt: skip
    assert result.returncode == 0
    before, after = result.stdout.split(" ", 1)
    assert before == "False"
    if after.strip() == "no systemd-python":
        assert (tmp_path / "stderr").read_text() == "<4>one line\n"
    else:
        assert after.strip() == "True"


def test_a_linked_folder_is_left_to_the_full_pipeline(tmp_path: Path) -> None:
    from osconf.errors import LocateError

    host = boot_layout(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "mnt/aliyun_custom_image")
    with pytest.raises(LocateError, match="not a directory on the partition"):
        service.nothing_to_do(settings(tmp_path, host), str(tmp_path / "root"))
    assert not (tmp_path / "root/var/lib/osconf/state.json").exists()


def test_a_lock_that_cannot_be_created_is_a_lock_error(tmp_path: Path) -> None:
    from osconf.errors import ExitCode, LockError

    (tmp_path / "file").write_text("")
    os.symlink(tmp_path / "elsewhere", tmp_path / "link")
    for path in (tmp_path / "file/osconf.lock", tmp_path / "link"):
        with pytest.raises(LockError, match="cannot take the lock") as caught:
            with lifecycle.locked(str(path), 0.1):
                pass
        assert caught.value.exit_code == ExitCode.BUSY
    assert not (tmp_path / "elsewhere").exists(), "a link in the lock's place is not followed"


HANG_GUARD = """
import json, sys
from osconf import lifecycle, service
from osconf.locate import Host
host = Host(proc=sys.argv[1], sys=sys.argv[2], dev=sys.argv[3])
settings = lifecycle.Settings(lock_file=sys.argv[4], lock_timeout=1, host=host)
try:
    code = service.nothing_to_do(settings, sys.argv[5])
    print(json.dumps({"code": code}))
except Exception as err:
    print(json.dumps({"raised": type(err).__name__, "message": str(err)}))
"""


def _nothing_to_do_in_a_child(tmp_path: Path, host: Host) -> dict:
    """nothing_to_do in a child process: the timeout only guards against a
    hang (a FIFO opened without O_NONBLOCK), it measures nothing."""
    result = subprocess.run(
        [sys.executable, "-c", HANG_GUARD, host.proc, host.sys, host.dev,
         str(tmp_path / "lock"), str(tmp_path / "root")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, cwd=REPO,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.splitlines()[-1]))


# (sshd_config is only read when it is a regular file: sshkeys.config_lines)
@pytest.mark.parametrize(
    ("path", "kind"),
    [("etc/osconf.conf", "fifo"), ("etc/osconf.conf", "directory"),
     ("etc/osconf.conf", "huge"), ("etc/ssh/sshd_config", "huge")],
)  # fmt: skip
def test_a_hostile_settings_file_is_handed_over_never_blocking(
    tmp_path: Path, path: str, kind: str
) -> None:
    host = boot_layout(tmp_path)
    target = tmp_path / "root" / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "directory":
        target.mkdir()
    else:
        with open(target, "wb") as handle:
            handle.truncate(4 * 1024 * 1024 * 1024)  # sparse: never read whole
    outcome = _nothing_to_do_in_a_child(tmp_path, host)
    assert "raised" in outcome, outcome  # handed over to the full pipeline, which warns
    assert path in outcome["message"] or outcome["raised"] == "IsADirectoryError", outcome
    assert not (tmp_path / "root/var/lib/osconf/state.json").exists()


def test_a_link_on_the_records_way_is_not_followed(tmp_path: Path) -> None:
    host = boot_layout(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    os.rename(tmp_path / "root/var/lib/osconf", outside / "osconf")
    os.symlink(outside / "osconf", tmp_path / "root/var/lib/osconf")
    with pytest.raises(OSError):
        state.record_on_host(state.Run(state.now(), "absent", "x"), str(tmp_path / "root"))
    outcome = _nothing_to_do_in_a_child(tmp_path, host)
    assert "raised" in outcome, outcome
    assert sorted(os.listdir(outside / "osconf")) == ["ssh-host-keys.json"], "nothing written there"


def test_a_record_not_in_osconfs_shape_is_left_to_the_full_pipeline(tmp_path: Path) -> None:
    host = boot_layout(tmp_path)
    record = tmp_path / "root/var/lib/osconf/state.json"
    sound = state.render(state.Run("2026-01-01T00:00:00Z", "absent", "earlier"), "")
    for text in ("[" * 1000, sound.replace("}\n]}", "} junk\n]}"), sound[:-1], "\udcff"):
        record.write_text(text, errors="surrogateescape")
        with pytest.raises(ValueError):
            state.record_on_host(state.Run(state.now(), "absent", "x"), str(tmp_path / "root"))
        assert record.read_text(errors="surrogateescape") == text, "kept for the full pipeline"
    record.write_text(sound)
    assert service.nothing_to_do(settings(tmp_path, host), str(tmp_path / "root")) == 0
    assert [r["message"] for r in runs(tmp_path)] == ["no os.conf", "earlier"]
