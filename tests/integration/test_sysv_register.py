"""The SysV script registered by the image's own tool, in a real sysvinit Debian tree.

The tree is the QEMU tier's sysvinit-core variant (mmdebstrap, cached in
.cache/); osconf installs into a copy of it, and Debian's update-rc.d
(insserv, from the LSB header) must order osconf before the network in
rcS -- where Debian brings the network up -- and so before sshd (rc2).
"""

import shutil
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest

from tests.conftest import run_osconf
from tests.helpers.tools import require_root, require_tool

pytestmark = pytest.mark.integration


def _depends(tree: Path, kind: str) -> Dict[str, List[str]]:
    out = {}
    for line in (tree / f"etc/init.d/.depend.{kind}").read_text().splitlines():
        name, _, deps = line.partition("=" if line.startswith("TARGETS") else ":")
        out[name.strip()] = deps.split()
    return out


def test_update_rc_d_orders_osconf_before_networking_and_ssh(tmp_path: Path) -> None:
    require_root()
    require_tool("mmdebstrap")
    from tests.e2e.guest import base_tree

    tree = tmp_path / "tree"
    subprocess.run(["cp", "-a", str(base_tree("sysvinit")), str(tree)], check=True)
    result = run_osconf("install", "--root", str(tree), "--partition", "LABEL=X")
    assert result.returncode == 0, result.stderr
    assert "registered with /usr/sbin/update-rc.d (rcS" in result.stdout
    boot = _depends(tree, "boot")
    assert "osconf" in boot["TARGETS"]
    assert "osconf" in boot["networking"], boot["networking"]
    assert set(boot["osconf"]) >= {"mountall.sh"}, "before /var is writable"
    # ssh starts in runlevel 2, after every rcS script.
    assert "ssh" in _depends(tree, "start")["TARGETS"] and "ssh" not in boot["TARGETS"]
    links = sorted(p.name for p in (tree / "etc/rcS.d").iterdir())
    mine = next(n for n in links if n.endswith("osconf"))
    networking = next(n for n in links if n.endswith("networking"))
    assert mine < networking
    removed = run_osconf("uninstall", "--root", str(tree))
    assert removed.returncode == 0, removed.stderr
    assert not any(p.name.endswith("osconf") for p in (tree / "etc/rcS.d").iterdir())
    assert "osconf" not in _depends(tree, "boot")["TARGETS"]
    shutil.rmtree(tree)
