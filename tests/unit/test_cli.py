"""The command line as an operator uses it: exit codes, messages, no changes on errors."""

from pathlib import Path

import pytest

from osconf.errors import ExitCode
from tests.conftest import run_osconf
from tests.golden.test_core_golden import snapshot
from tests.helpers.tools import require_tool

BAD = (
    "hostname=bad_name\n"
    "password=%%%notbase64\n"
    "eth0_ip_addr=10.171.254.300\n"
    "eth0_mac_addr=00:8c:fa:5e:14:23\n"
    "eth0_netmask=255.0.255.0\n"
    'eth0_route="0.0.0.0/0"\n'
    "surprise=1\n"
)


def test_validate_good(samples: Path) -> None:
    result = run_osconf("validate", str(samples / "classic.conf"))
    assert result.returncode == 0
    assert "valid (classic; eth0 10.171.254.123/24, eth1 42.120.74.105/24)" in result.stdout


def test_validate_reports_every_problem_with_key_and_line(tmp_path: Path) -> None:
    conf = tmp_path / "os.conf"
    conf.write_text(BAD)
    result = run_osconf("validate", str(conf))
    assert result.returncode == ExitCode.INVALID_CONFIG
    lines = result.stderr.splitlines()
    for fragment in (
        f"{conf}:1: error: hostname:",
        f"{conf}:2: error: password: not valid base64",
        f"{conf}:3: error: eth0_ip_addr:",
        f"{conf}:5: error: eth0_netmask: netmask is not contiguous",
        f"{conf}:6: error: eth0_route: entry 1: route '0.0.0.0/0' has no gateway",
        f"{conf}:7: warning: surprise: unknown key",
        "osconf: 5 error(s): nothing was changed",
    ):
        assert any(fragment in line for line in lines), (fragment, lines)
    assert "Traceback" not in result.stderr
    assert "%%%notbase64" not in result.stderr


def test_bad_file_changes_nothing(minimal_root: Path, tmp_path: Path) -> None:
    conf = tmp_path / "os.conf"
    conf.write_text(BAD)
    before = snapshot(minimal_root)
    result = run_osconf("apply", "--root", str(minimal_root), "--conf", str(conf))
    assert result.returncode == ExitCode.INVALID_CONFIG
    assert snapshot(minimal_root) == before
    assert conf.read_text() == BAD


def test_apply_result_passes_pwck(minimal_root: Path, samples: Path) -> None:
    pwck = require_tool("pwck", package="passwd")
    result = run_osconf("apply", "--root", str(minimal_root), "--conf", str(samples / "vpc.conf"))
    assert result.returncode == 0, result.stderr
    import subprocess

    check = subprocess.run(
        [pwck, "-r", "-R", str(minimal_root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_plan_changes_nothing_and_masks_the_password(minimal_root: Path, samples: Path) -> None:
    before = snapshot(minimal_root)
    result = run_osconf("plan", "--root", str(minimal_root), "--conf", str(samples / "vpc.conf"))
    assert result.returncode == 0, result.stderr
    assert snapshot(minimal_root) == before
    assert "write /etc/hostname" in result.stdout
    assert "set the password of root" in result.stdout
    for secret in ("qwer1234", "cXdlcjEyMzQK"):
        assert secret not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p, "no such file"),
        (lambda p: p.mkdir() or p, "is a directory"),
    ],
)
def test_unreadable_conf(tmp_path: Path, make: object, message: str) -> None:
    path = make(tmp_path / "os.conf")  # type: ignore[operator]
    result = run_osconf("validate", str(path))
    assert result.returncode == ExitCode.NOT_FOUND
    assert message in result.stderr and "Traceback" not in result.stderr


def test_usage_errors_and_version() -> None:
    assert run_osconf().returncode == ExitCode.USAGE
    assert run_osconf("frobnicate").returncode == ExitCode.USAGE
    version = run_osconf("--version")
    assert version.returncode == 0 and version.stdout.startswith("osconf ")


def test_failing_action_is_reported_and_others_still_run(minimal_root: Path, samples: Path) -> None:
    (minimal_root / "etc/shadow").unlink()
    result = run_osconf("apply", "--root", str(minimal_root), "--conf", str(samples / "vpc.conf"))
    assert result.returncode == ExitCode.APPLY_FAILED
    assert "set the password of root" in result.stderr and "does not exist" in result.stderr
    assert (minimal_root / "etc/hostname").read_text() == "iZ23r29djmjZ\n"
    assert "Traceback" not in result.stderr
