"""Secret audit: the root password appears nowhere osconf writes or prints.

Every command, with and without `--debug`, on the success path and on
failure paths, runs with a distinctive password. Searched for it, as plain
text, base64 and base64 of the text with its trailing newline: stdout,
stderr, every log record (raw, before the masking filter), every byte under
the target root (files, backups, state) and the argv of every program
executed (strace). Expected: nothing, except that /etc/shadow holds a hash
that verifies against it.
"""

import base64
import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List, Tuple, Union

import pytest

from osconf import cli
from osconf.sha512crypt import verify
from tests.conftest import REPO, make_root
from tests.golden.test_core_golden import snapshot
from tests.helpers.tools import require_root, require_tool

PASSWORD = "Osc0nf-Audit-Pw-7f3a9c"
FORMS = (
    PASSWORD,
    base64.b64encode(PASSWORD.encode()).decode(),
    base64.b64encode(PASSWORD.encode() + b"\n").decode(),
    # Without padding, in case something strips it.
    base64.b64encode(PASSWORD.encode()).decode().rstrip("="),
    base64.b64encode(PASSWORD.encode() + b"\n").decode().rstrip("="),
)
# A value that looks like a password but is not valid base64: it must not be echoed.
BAD_VALUE = base64.b64encode(b"Audit-Bad-Value-7f3a9").decode() + "!"
BAD_FORMS = (BAD_VALUE, BAD_VALUE[:-1], "Audit-Bad-Value-7f3a9")
CONF = (
    "hostname=audit-host\n"
    f"password={FORMS[2]}\n"
    "eth0_ip_addr=10.171.254.123\n"
    "eth0_mac_addr=00:8c:fa:5e:14:23\n"
    "eth0_netmask=255.255.255.0\n"
    "eth0_gateway=10.171.254.1\n"
    'eth0_route="0.0.0.0/0 10.171.254.1"\n'
    'dns_nameserver="7.7.7.7 8.8.8.8"\n'
)


def _commands(root: Path, conf: Path) -> Dict[str, List[str]]:
    return {
        "apply": ["apply", "--root", str(root), "--conf", str(conf)],
        "plan": ["plan", "--root", str(root), "--conf", str(conf)],
        "validate": ["validate", str(conf)],
        # The commands below do not read a given file; they run here so that
        # their output and what they write are searched too.
        "status": ["status", "--root", str(root)],
        "locate": ["locate", "--root", str(root), "--partition", "LABEL=OSCONF-AUDIT-NONE"],
        "watch": ["watch", "--once", "--root", str(root), "--no-live",
                  "--partition", "LABEL=OSCONF-AUDIT-NONE"],
        "install": ["install", "--root", str(root), "--partition", "LABEL=OSCONF-AUDIT-NONE"],
        "uninstall": ["uninstall", "--root", str(root)],
        # Machine-readable output (osconf/1) is searched as well.
        "plan-json": ["plan", "--root", str(root), "--conf", str(conf), "--format", "json"],
        "validate-json": ["validate", str(conf), "--format", "json"],
        "status-json": ["status", "--root", str(root), "--long", "--format", "json"],
        "check-image": ["check-image", "--format", "json", str(root)],
    }  # fmt: skip


def _hits(text: Union[str, bytes], forms: Tuple[str, ...]) -> List[str]:
    data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
    return [form for form in forms if form.encode() in data]


def _roots(tmp_path: Path) -> Iterator[Tuple[str, Path]]:
    """Targets for the success path and for failure paths with the password loaded."""
    yield "minimal", make_root(tmp_path / "minimal")
    no_shadow = make_root(tmp_path / "no-shadow")
    (no_shadow / "etc/shadow").unlink()
    yield "no-shadow", no_shadow
    shadow_dir = make_root(tmp_path / "shadow-dir")
    (shadow_dir / "etc/shadow").unlink()
    (shadow_dir / "etc/shadow").mkdir()
    yield "shadow-dir", shadow_dir
    no_root = make_root(tmp_path / "no-root-user")
    (no_root / "etc/shadow").write_text("daemon:*:19000:0:99999:7:::\n")
    yield "no-root-user", no_root


def test_every_command_is_audited(tmp_path: Path) -> None:
    # A new command must be added to the audit before this passes.
    audited = set(_commands(tmp_path, tmp_path))
    assert {name for name, _module in cli.COMMANDS} <= audited


@pytest.mark.integration
def test_password_reaches_no_output_file_or_argv(tmp_path: Path) -> None:
    require_root()
    strace = require_tool("strace")
    conf = tmp_path / "conf/os.conf"
    conf.parent.mkdir()
    conf.write_text(CONF)
    env = {k: v for k, v in os.environ.items() if k not in ("INVOCATION_ID", "JOURNAL_STREAM")}
    probe = tmp_path / "probe.strace"
    subprocess.run([strace, "-f", "-qq", "-s", "65535", "-e", "trace=execve", "-o", str(probe),
                    "sh", "-c", f"true {FORMS[1]}"], check=True)  # fmt: skip
    assert _hits(probe.read_text(), FORMS), "the argv monitor would miss a leak"
    runs = 0
    for case, root in _roots(tmp_path):
        for name, args in _commands(root, conf).items():
            for debug in ([], ["--debug"]):
                trace = tmp_path / f"{case}-{name}-{len(debug)}.strace"
                result = subprocess.run(
                    [strace, "-f", "-qq", "-s", "65535", "-e", "trace=execve", "-o", str(trace)]
                    + [sys.executable, "-m", "osconf", *debug, *args],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    cwd=REPO,
                    env=env,
                    timeout=120,
                )
                runs += 1
                where = f"{case}: osconf {' '.join(debug + args)}"
                assert not _hits(result.stdout, FORMS), where + " stdout"
                assert not _hits(result.stderr, FORMS), where + " stderr"
                execs = trace.read_text(errors="replace")
                assert "execve(" in execs
                assert not _hits(execs, FORMS), where + " argv of a program it ran"
                if case != "minimal" and name == "apply":
                    assert result.returncode != 0, where
                    assert b"set the password" in result.stderr, result.stderr
                    if debug:
                        assert b"Traceback" in result.stderr, result.stderr
        for rel, data in snapshot(root).items():
            assert not _hits(data, FORMS), f"{case}: {rel} holds the password"
            assert not _hits(rel, FORMS), f"{case}: a file name holds the password"
    assert runs == 4 * len(_commands(tmp_path, conf)) * 2
    shadow = (tmp_path / "minimal/etc/shadow").read_text()
    hashed = re.search(r"^root:([^:]*):", shadow, re.M)
    assert hashed and verify(PASSWORD, hashed.group(1))


class _Records(logging.Handler):
    """Keeps every record as formatted (with traceback), before any filter masks it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: List[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.texts.append(self.format(record) + repr(record.args))


@pytest.fixture
def records() -> Iterator[_Records]:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    handler = _Records()
    # On "osconf", not the root logger: cli.main replaces the root's handlers.
    logging.getLogger("osconf").addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger("osconf").removeHandler(handler)
        for old in list(root.handlers):
            root.removeHandler(old)
        for old in saved[0]:
            root.addHandler(old)
        root.setLevel(saved[1])


def test_no_log_record_carries_the_password(
    tmp_path: Path, records: _Records, capsys: "pytest.CaptureFixture[str]"
) -> None:
    conf = tmp_path / "os.conf"
    conf.write_text(CONF)
    for _case, root in _roots(tmp_path):
        for args in _commands(root, conf).values():
            for debug in ([], ["--debug"]):
                cli.main([*debug, *args])
    assert len(records.texts) > 20
    assert any("Traceback" in text for text in records.texts)
    leaks = [text for text in records.texts if _hits(text, FORMS)]
    assert not leaks
    out = capsys.readouterr()
    assert not _hits(out.out + out.err, FORMS)


def test_an_invalid_password_value_is_never_echoed(
    tmp_path: Path, records: _Records, capsys: "pytest.CaptureFixture[str]"
) -> None:
    conf = tmp_path / "os.conf"
    conf.write_text(CONF.replace(FORMS[2], BAD_VALUE))
    root = make_root(tmp_path / "root")
    before = snapshot(root)
    for name, args in _commands(root, conf).items():
        if name not in ("apply", "plan", "validate"):
            continue
        for debug in ([], ["--debug"]):
            assert cli.main([*debug, *args]) == 3
            out = capsys.readouterr()
            assert "password: not valid base64" in out.err
            assert not _hits(out.out + out.err, BAD_FORMS), out.err
    assert not [text for text in records.texts if _hits(text, BAD_FORMS)]
    assert snapshot(root) == before


@pytest.mark.integration
@pytest.mark.parametrize("broken", [False, True])
def test_boot_run_from_a_partition_leaks_nothing(tmp_path: Path, broken: bool) -> None:
    """The lifecycle path: state file, backups, output and argv stay clean."""
    require_root()
    from tests.helpers.loopdisk import LoopDisk

    strace = require_tool("strace")
    text = CONF + ("eth0_netmask=255.0.255.0\n" if broken else "")
    root = make_root(tmp_path / "root")
    env = {k: v for k, v in os.environ.items() if k not in ("INVOCATION_ID", "JOURNAL_STREAM")}
    with LoopDisk(tmp_path) as disk:
        disk.mkfs(1, "ext4", "OSCAUDIT")
        disk.put(1, "aliyun_custom_image/os.conf", text.encode())
        for debug in ([], ["--debug"]):
            trace = tmp_path / f"boot-{len(debug)}.strace"
            result = subprocess.run(
                [strace, "-f", "-qq", "-s", "65535", "-e", "trace=execve", "-o", str(trace),
                 sys.executable, "-m", "osconf", *debug, "apply", "--root", str(root),
                 "--no-live", "--nic-timeout", "0", "--partition", "LABEL=OSCAUDIT"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env=env, timeout=120,
            )  # fmt: skip
            assert result.returncode == (3 if broken else 0), result.stderr
            assert not _hits(result.stdout + result.stderr, FORMS)
            assert not _hits(trace.read_text(errors="replace"), FORMS)
            if not broken:
                disk.put(1, "aliyun_custom_image/os.conf", text.encode())
    files = snapshot(root)
    assert "var/lib/osconf/state.json" in files
    for rel, data in files.items():
        assert not _hits(data, FORMS), f"{rel} holds the password"
