"""Start-up cost: what each offline command imports.

pyroute2 costs ~150 ms to import and is needed only to set the running
network: `apply --root`, `plan` and `validate` must never load it. `validate`
loads neither the planner nor the side-effect layer. Each command runs in a
fresh interpreter, so that other tests' imports cannot hide a regression.
"""

import json
import subprocess
import sys
from pathlib import Path
from typing import Set

import pytest

from tests.conftest import REPO, SAMPLES

PROBE = """
import json, sys
from osconf import cli
code = cli.main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def modules_after(*args: str) -> Set[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["code"] == 0, result.stderr
    return set(report["modules"])


@pytest.mark.parametrize("command", ["apply", "plan", "validate"])
def test_offline_commands_never_import_pyroute2(command: str, minimal_root: Path) -> None:
    conf = str(SAMPLES / "classic.conf")
    args = [command, conf] if command == "validate" else [command, "--root", str(minimal_root)]
    if command != "validate":
        args += ["--conf", conf]
    modules = modules_after(*args)
    assert "osconf.validate" in modules  # the probe really ran the command
    assert not {m for m in modules if m.split(".")[0] == "pyroute2"}
    assert "osconf.netlink" not in modules
    if command == "validate":
        assert not {"osconf.plan", "osconf.system", "osconf.apply", "subprocess"} & modules


def test_a_boot_without_os_conf_loads_no_validator_or_planner(tmp_path: Path) -> None:
    # The common boot: the partition is there, the file is not.
    from tests.conftest import make_root

    root = make_root(tmp_path / "root")
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from osconf import cli, lifecycle\n"
        "from osconf.options import Options\n"
        "from osconf.system import System\n"
        f"system = System({str(root)!r})\n"
        "code = lifecycle._on_partition(system, Options(), '/nonexistent', None)\n"
        "print(json.dumps({'code': code, 'modules': sorted(sys.modules)}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["code"] == 0
    assert not {"netaddr", "osconf.validate", "osconf.plan", "pyroute2"} & set(report["modules"])
    assert '"outcome": "absent"' in (root / "var/lib/osconf/state.json").read_text()
