"""Golden network trees: both samples x every stack, exact file sets and modes.

Each case applies a sample to a copy of samples/root with `--network-stack`
and compares every network file the run created or changed (the core's
files are the core golden test's business) with
`tests/golden/network/<case>/<stack>/`, whose `MODES` lists each file's
permission bits. Regenerate with `OSCONF_REGEN_GOLDEN=1` and review.
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, make_root, run_osconf
from tests.golden.test_core_golden import snapshot

HERE = Path(__file__).parent / "network"
STACKS = ("ifcfg", "suse", "ifupdown", "networkd", "netplan", "networkmanager")
CORE = ("etc/hostname", "etc/hosts", "etc/shadow", "etc/resolv.conf", "var/lib/osconf/")


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("case", ["vpc", "classic"])
def test_network_golden(case: str, stack: str, tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    before = snapshot(root)
    result = run_osconf("apply", "--root", str(root), "--conf", str(SAMPLES / f"{case}.conf"),
                        "--network-stack", stack)  # fmt: skip
    assert result.returncode == 0, result.stderr
    after = snapshot(root)
    touched = sorted(r for r in after if before.get(r) != after[r] and not r.startswith(CORE))
    modes = "".join(f"{oct(os.stat(root / r).st_mode & 0o7777)} {r}\n" for r in touched)
    expected_dir = HERE / case / stack
    if os.environ.get("OSCONF_REGEN_GOLDEN"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        expected_dir.mkdir(parents=True)
        for rel in touched:
            (expected_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / rel).write_bytes(after[rel])
        (expected_dir / "MODES").write_text(modes)
    expected = {
        p.relative_to(expected_dir).as_posix(): p.read_bytes()
        for p in expected_dir.rglob("*")
        if p.is_file() and p.name != "MODES"
    }
    assert touched == sorted(expected), "the set of files written differs"
    for rel in touched:
        assert after[rel] == expected[rel], rel
    assert modes == (expected_dir / "MODES").read_text()
    again = run_osconf("apply", "--root", str(root), "--conf", str(SAMPLES / f"{case}.conf"),
                       "--network-stack", stack)  # fmt: skip
    assert again.returncode == 0 and snapshot(root) == after, "a second run changed something"
