"""status, locate and plan on real boot runs from a real partition (issue #15):
short lines, exit codes that say what the last run did, no temporary mount
path, JSON documents."""

import json
from pathlib import Path

import pytest

from osconf.errors import ExitCode
from tests.conftest import SAMPLES, make_root, run_osconf
from tests.helpers.loopdisk import LoopDisk
from tests.helpers.tools import require_root

pytestmark = pytest.mark.integration
CONF = "aliyun_custom_image/os.conf"


def test_status_after_real_runs(tmp_path: Path) -> None:
    require_root()
    root = make_root(tmp_path / "root")
    label = f"OSCST{tmp_path.name[-6:]}".upper()[:16]
    boot = ["apply", "--root", str(root), "--no-live", "--partition", f"LABEL={label}"]
    with LoopDisk(tmp_path) as disk:
        disk.mkfs(1, "ext4", label)
        # An invalid file: status says so in one short line, exits 3.
        disk.put(1, CONF, (SAMPLES / "broken.conf").read_bytes())
        assert run_osconf(*boot).returncode == ExitCode.INVALID_CONFIG
        status = run_osconf("status", "--root", str(root))
        assert status.returncode == ExitCode.INVALID_CONFIG
        assert status.stdout.startswith("status: invalid at ") and status.stdout.count("\n") == 1
        assert "os.conf is invalid (6 error(s)), kept for a retry" in status.stdout
        long = run_osconf("status", "--root", str(root), "--long")
        assert "/run/osconf/mnt-" not in long.stdout
        assert max(len(line) for line in long.stdout.splitlines()) <= 100
        detail = [line for line in long.stdout.splitlines() if line.startswith("  - ")]
        assert len(detail) == 6
        assert all(line.startswith("  - [first partition]/" + CONF + ":") for line in detail)
        # plan reads the platform's file read-only and says where it came from.
        plan = run_osconf("plan", "--root", str(root), "--no-live", "--partition",
                          f"LABEL={label}", "--format", "json")  # fmt: skip
        assert plan.returncode == ExitCode.INVALID_CONFIG
        assert len(json.loads(plan.stdout)["error"]["problems"]) >= 6
        # A good file: applied, deleted; status exits 0 with the counts.
        disk.put(1, CONF, (SAMPLES / "vpc.conf").read_bytes())
        planned = json.loads(run_osconf("plan", "--root", str(root), "--no-live", "--partition",
                                        f"LABEL={label}", "--format", "json").stdout)  # fmt: skip
        assert planned["source"] == "first partition: " + CONF and planned["actions"]
        applied = run_osconf(*boot)
        assert applied.returncode == 0, applied.stderr
        assert applied.stderr.splitlines()[-1].endswith(" already in place")
        status = run_osconf("status", "--root", str(root), "--format", "json")
        doc = json.loads(status.stdout)
        assert status.returncode == 0 and doc["status"] == "applied"
        assert doc["last"]["summary"].startswith("applied and deleted: ")
        assert doc["last"]["source"] == "[first partition]/" + CONF
        # locate: where, how, and that os.conf is gone.
        located = run_osconf("locate", "--root", str(root), "--partition", f"LABEL={label}",
                             "--format", "json")  # fmt: skip
        assert located.returncode == 0, located.stderr
        where = json.loads(located.stdout)
        assert where["filesystem"]["label"] == label and where["filesystem"]["type"] == "ext4"
        assert where["os_conf"] == {"relative_path": CONF, "path": None, "present": False}
        assert where["access"] == "mounted read-only by osconf for this look"
        assert not disk.mounted()
    # The partition is gone: the next run's error is status 8, not 1.
    assert run_osconf(*boot).returncode == ExitCode.NOT_FOUND
    status = run_osconf("status", "--root", str(root))
    assert status.returncode == ExitCode.LAST_RUN_ERROR
    assert status.stdout.startswith("status: error at ")
