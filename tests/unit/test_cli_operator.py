"""The operator's interface (issue #15), through the real command line:
JSON output, status, exit codes, global options, plan's in-place marks,
apply's summary, per-command help, osconf.conf, the missing-stack warning."""

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any, Dict

import pytest

from osconf.errors import MEANINGS, ExitCode
from tests.conftest import REPO, SAMPLES, make_root, run_osconf

PASSWORD = "qwer1234"  # the samples' password
SECRETS = (PASSWORD, "cXdlcjEyMzQK", "cXdlcjEyMzQ=")
MOUNT = "/run/osconf/mnt-k2f9x1qz"


def as_json(result: "subprocess.CompletedProcess[str]") -> Dict[str, Any]:
    document = json.loads(result.stdout)
    assert document["schema"] == "osconf/1"
    assert document["exit_code"] == result.returncode
    assert document["ok"] is (result.returncode == 0)
    for secret in SECRETS:
        assert secret not in result.stdout + result.stderr
    return document


def write_state(root: Path, *runs: Dict[str, Any]) -> None:
    path = root / "var/lib/osconf/state.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "runs": list(runs)}))


def run_record(outcome: str, message: str, **extra: object) -> Dict[str, Any]:
    record = {"time": "2026-12-01T00:12:03Z", "outcome": outcome, "message": message,
              "source": f"{MOUNT}/aliyun_custom_image/os.conf", "digest": "sha256:ab",
              "changes": 0}  # fmt: skip
    record.update(extra)
    return record


# --- --format json ------------------------------------------------------------


def test_validate_json_valid() -> None:
    result = run_osconf("validate", str(SAMPLES / "classic.conf"), "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = as_json(result)
    assert doc["command"] == "validate" and doc["valid"] is True
    settings = doc["settings"]
    assert settings["password"] == "set" and settings["network_type"] == "classic"
    assert [n["name"] for n in settings["nics"]] == ["eth0", "eth1"]
    assert settings["nics"][1]["routes"] == [{"destination": "0.0.0.0/0",
                                              "gateway": "42.120.74.1"}]  # fmt: skip


def test_validate_json_invalid_lists_every_problem(tmp_path: Path) -> None:
    conf = tmp_path / "os.conf"
    conf.write_text("hostname=bad_name\npassword=%%%x\neth0_ip_addr=1.2.3.300\nsurprise=1\n")
    result = run_osconf("validate", "--format", "json", str(conf))
    assert result.returncode == ExitCode.INVALID_CONFIG
    doc = as_json(result)
    assert doc["valid"] is False
    found = {(p["line"], p["key"], p["severity"]) for p in doc["problems"]}
    assert {(1, "hostname", "error"), (2, "password", "error"), (3, "eth0_ip_addr", "error"),
            (4, "surprise", "warning")} <= found  # fmt: skip
    assert "%%%x" not in result.stdout


def test_json_error_envelope_for_a_missing_file(tmp_path: Path) -> None:
    result = run_osconf("validate", str(tmp_path / "nothing"), "--format", "json")
    assert result.returncode == ExitCode.NOT_FOUND
    doc = as_json(result)
    assert "no such file" in doc["error"]["message"]


def test_plan_json_and_in_place_marks(minimal_root: Path) -> None:
    conf = str(SAMPLES / "vpc.conf")
    first = run_osconf("plan", "--root", str(minimal_root), "--conf", conf, "--format", "json")
    assert first.returncode == 0, first.stderr
    actions = as_json(first)["actions"]
    assert {a["action"] for a in actions} >= {"write_file", "set_password"}
    assert not any(a["in_place"] for a in actions)
    applied = run_osconf("apply", "--root", str(minimal_root), "--conf", conf)
    assert applied.returncode == 0, applied.stderr
    assert applied.stderr.splitlines()[-1].endswith(" changed, 0 already in place")
    again = run_osconf("plan", "--root", str(minimal_root), "--conf", conf, "--format", "json")
    after = as_json(again)["actions"]
    # (the first run also rewrote /etc/network/interfaces, which then needs nothing)
    assert {a["description"] for a in after} <= {a["description"] for a in actions}
    assert all(a["in_place"] is not False for a in after), after
    assert all(a["in_place"] for a in after if a["action"] in ("write_file", "set_password"))
    text = run_osconf("plan", "--root", str(minimal_root), "--conf", conf)
    lines = text.stdout.splitlines()
    assert all(line.endswith("[already in place]") for line in lines if line.startswith("write "))
    held = sum(1 for a in after if a["in_place"])
    assert lines[-1] == f"0 to change, {held} already in place" and held >= 5


def test_plan_marks_only_what_holds(minimal_root: Path) -> None:
    conf = str(SAMPLES / "vpc.conf")
    run_osconf("apply", "--root", str(minimal_root), "--conf", conf)
    (minimal_root / "etc/hostname").write_text("other\n")
    lines = run_osconf("plan", "--root", str(minimal_root), "--conf", conf).stdout.splitlines()
    hostname = next(line for line in lines if line.startswith("write /etc/hostname"))
    hosts = next(line for line in lines if line.startswith("write /etc/hosts"))
    assert "[already in place]" not in hostname and hosts.endswith("[already in place]")
    assert lines[-1].startswith("1 to change, ")


def test_apply_ends_with_the_summary(minimal_root: Path) -> None:
    conf = str(SAMPLES / "classic.conf")
    first = run_osconf("apply", "--root", str(minimal_root), "--conf", conf)
    assert first.returncode == 0, first.stderr
    last = first.stderr.splitlines()[-1]
    assert last.endswith("changed, 0 already in place") and not last.startswith("osconf: 0 ")
    again = run_osconf("apply", "--root", str(minimal_root), "--conf", conf)
    assert again.stderr.splitlines()[-1].endswith(": 0 changed, 5 already in place")


# --- status ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "message", "code"),
    [
        ("applied", "applied and deleted: 5 changed, 0 already in place", 0),
        ("absent", "no os.conf", 0),
        ("disabled", "/etc/osconf/disabled exists", 0),
        ("invalid", "invalid, kept for a retry: 2 error(s): "
         f"{MOUNT}/aliyun_custom_image/os.conf:1: error: hostname: bad; "
         f"{MOUNT}/aliyun_custom_image/os.conf:3: error: eth0_ip_addr: bad", 3),
        ("failed", "kept for a retry: write /etc/hosts (host name mapping): denied; "
         "set the password of root in /etc/shadow: no entry", 5),
        ("error", "no block device has LABEL=X (looked at 9 devices in sysfs)", 8),
    ],
)  # fmt: skip
def test_status_short_line_and_exit_code(
    minimal_root: Path, outcome: str, message: str, code: int
) -> None:
    write_state(minimal_root, run_record(outcome, message), run_record("applied", "older"))
    short = run_osconf("status", "--root", str(minimal_root))
    assert short.returncode == code != ExitCode.INTERNAL
    lines = short.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"status: {outcome} at 2026-12-01T00:12:03Z: ")
    assert len(lines[0]) <= 120 and MOUNT not in short.stdout
    long = run_osconf("status", "--long", "--root", str(minimal_root))
    assert long.returncode == code
    assert all(len(line) <= 100 for line in long.stdout.splitlines()), long.stdout
    assert MOUNT not in long.stdout and "history (newest first):" in long.stdout
    doc = as_json(run_osconf("status", "--root", str(minimal_root), "--format", "json"))
    assert doc["status"] == outcome and doc["last"]["time"] == "2026-12-01T00:12:03Z"
    assert MOUNT not in json.dumps(doc)


def test_status_detail_of_an_invalid_run(minimal_root: Path) -> None:
    problems = [f"{MOUNT}/aliyun_custom_image/os.conf:{n}: error: eth{n}_ip_addr: " + "x" * 80
                for n in range(7)]  # fmt: skip
    message = "invalid, kept for a retry: 7 error(s): " + "; ".join(problems)
    assert len(message) > 900  # the line the issue saw
    write_state(minimal_root, run_record("invalid", message))
    short = run_osconf("status", "--root", str(minimal_root))
    assert short.stdout == (
        "status: invalid at 2026-12-01T00:12:03Z: os.conf is invalid (7 error(s)), "
        "kept for a retry\n"
    )
    long = run_osconf("status", "--root", str(minimal_root), "--long").stdout
    assert long.count("[first partition]/aliyun_custom_image/os.conf") == 7 + 1  # + source
    doc = as_json(run_osconf("status", "--root", str(minimal_root), "--format", "json"))
    assert len(doc["last"]["detail"]) == 7


def test_status_before_any_run_and_damaged_state(minimal_root: Path) -> None:
    result = run_osconf("status", "--root", str(minimal_root))
    assert result.returncode == 0 and result.stdout.startswith("status: not-run")
    (minimal_root / "var/lib/osconf").mkdir(parents=True)
    (minimal_root / "var/lib/osconf/state.json").write_text("{not json")
    damaged = run_osconf("status", "--root", str(minimal_root), "--format", "json")
    assert damaged.returncode == 0 and as_json(damaged)["status"] == "not-run"


# --- global options, help, exit codes --------------------------------------------


@pytest.mark.parametrize("where", ["before", "after"])
def test_global_options_before_or_after_the_command(minimal_root: Path, where: str) -> None:
    args = ["apply", "--root", str(minimal_root), "--conf", str(SAMPLES / "vpc.conf")]
    quiet = ["-q", *args] if where == "before" else [*args, "-q"]
    result = run_osconf(*quiet)
    assert result.returncode == 0 and "changed" not in result.stderr, result.stderr
    debug = ["--debug", *args] if where == "before" else [*args, "--debug"]
    assert "already so" in run_osconf(*debug).stderr  # debug lines appear


def test_every_command_help_has_a_description_and_its_exit_codes() -> None:
    top = run_osconf("--help")
    assert top.returncode == 0
    for code in MEANINGS:
        assert f"  {code}  " in top.stdout
    from osconf.cli import COMMANDS

    commands = [name for name, _module in COMMANDS]
    # argparse puts the help of a name longer than the column (check-image) on the next line.
    assert all(re.search(rf"\n    {re.escape(name)}[ \n]", top.stdout) for name in commands), (
        top.stdout
    )
    for command in commands:
        result = run_osconf(command, "--help", env={"COLUMNS": "60"})
        assert result.returncode == 0 and "Traceback" not in result.stderr, command
        body = result.stdout.split("\n\n")
        assert body[1].strip() and not body[1].startswith(("options", "positional")), command
        assert "exit codes:\n  0" in result.stdout, command


def test_plan_help_does_not_claim_the_conf_file_is_deleted() -> None:
    text = " ".join(run_osconf("plan", "--help").stdout.split())
    assert "deleted once" not in text and "plan changes and deletes nothing" in text
    assert "never deleted" in " ".join(run_osconf("apply", "--help").stdout.split())


def test_the_console_script_is_the_same_program() -> None:
    script = Path(REPO / ".venv/bin/osconf")
    if not script.exists():
        pytest.skip("no console script in .venv (tools/setup.sh makes it)")
    result = subprocess.run([str(script), "status", "--root", str(SAMPLES / "root"), "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, timeout=60)  # fmt: skip
    assert result.returncode == 0 and result.stdout.startswith("status: not-run")


# --- install's osconf.conf, the missing-stack warning ------------------------------


def test_install_ships_a_commented_osconf_conf_and_keeps_values(tmp_path: Path) -> None:
    tree = make_root(tmp_path / "tree")
    result = run_osconf("install", "--root", str(tree), "--partition", "LABEL=boot")
    assert result.returncode == 0, result.stderr
    text = (tree / "etc/osconf.conf").read_text()
    assert "\npartition=LABEL=boot\n" in text and "#network_stack=" in text
    shipped = (REPO / "conf/osconf.conf").read_text()
    from osconf.parse import parse

    keys = {a.key for a in parse(text.encode(), "osconf.conf")[0]}
    assert keys == {"partition"}
    for key in ("partition", "network_stack"):
        assert f"\n#{key}=" in shipped
    edited = text.replace("#network_stack=ifupdown", "network_stack=networkd")
    (tree / "etc/osconf.conf").write_text(edited + "# my note\n")
    again = run_osconf("install", "--root", str(tree), "--partition", "UUID=1234-ABCD")
    assert again.returncode == 0, again.stderr
    kept = (tree / "etc/osconf.conf").read_text()
    assert "\nnetwork_stack=networkd\n" in kept and kept.endswith("# my note\n")
    assert "\npartition=UUID=1234-ABCD\n" in kept and "LABEL=boot" not in kept


def test_every_key_osconf_reads_is_in_the_shipped_file() -> None:
    # osconf.settings is the one reader of the file; it warns about any other key.
    from osconf.settings import KEYS

    shipped = (REPO / "conf/osconf.conf").read_text()
    assert KEYS and all(f"#{key}=" in shipped for key in KEYS), KEYS


def test_warning_when_the_stack_software_is_missing(minimal_root: Path) -> None:
    conf = str(SAMPLES / "vpc.conf")
    plan = run_osconf("plan", "--root", str(minimal_root), "--conf", conf)
    assert "warn: ifupdown: none of /sbin/ifup, /usr/sbin/ifup is in the image" in plan.stdout
    (minimal_root / "sbin").mkdir()
    (minimal_root / "sbin/ifup").write_text("")
    os.chmod(minimal_root / "sbin/ifup", 0o755)
    plan = run_osconf("plan", "--root", str(minimal_root), "--conf", conf)
    assert "warn: ifupdown" not in plan.stdout
    applied = run_osconf("apply", "--root", str(minimal_root), "--conf", conf,
                         "--network-stack", "networkd")  # fmt: skip
    assert "networkd: none of /lib/systemd/systemd-networkd" in applied.stderr


def test_a_reader_that_goes_away_is_no_traceback(tmp_path: Path) -> None:
    import sys

    # `true` exits without reading: osconf's write then meets a closed pipe.
    errors = tmp_path / "stderr"
    script = (f"{sys.executable} -m osconf validate --format json samples/classic.conf"
              f" 2>{errors} | true; echo ${{PIPESTATUS[0]}}")  # fmt: skip
    result = subprocess.run(["bash", "-c", script], cwd=REPO, stdout=subprocess.PIPE,
                            universal_newlines=True)  # fmt: skip
    assert result.stdout.strip() in ("0", str(ExitCode.BROKEN_PIPE))
    assert "Traceback" not in errors.read_text() and "Broken pipe" not in errors.read_text()


def test_demo_runs_on_debian_python_alone(tmp_path: Path) -> None:
    """tools/demo.sh with Debian's python3 (python3-netaddr from tests/apt),
    no virtualenv and no test tools: install, plan, apply, status, the files."""
    from tests.helpers.tools import IN_CI

    python = "/usr/bin/python3"
    probe = subprocess.run([python, "-c", "import netaddr"], stderr=subprocess.PIPE)
    if probe.returncode != 0:
        message = "Debian's python3-netaddr is not installed (tests/apt/core.txt)"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    env = dict(os.environ, PYTHON=python, TMPDIR=str(tmp_path), PATH="/usr/bin:/bin")
    result = subprocess.run(["bash", "tools/demo.sh"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True, timeout=300)  # fmt: skip
    out = result.stdout
    assert result.returncode == 0, out
    for expected in ("wrote /etc/osconf.conf with partition=LABEL=demo", '"schema": "osconf/1"',
                     "6 to change, 0 already in place", "0 to change, 5 already in place",
                     "classic.conf: 6 changed, 0 already in place", "status: not-run",
                     "./etc/hostname", "+iZ23r29djmjZ", "exit code 3"):  # fmt: skip
        assert expected in out, expected
    assert not (REPO / ".cache/demo-venv").exists(), "Debian's python3 should have sufficed"
    trees = list(tmp_path.glob("osconf-demo.*/root"))
    assert len(trees) == 1 and (trees[0] / "etc/init.d/osconf").is_file()
