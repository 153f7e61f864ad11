"""The SysV script, run for real: install, start and status in a chroot.

The chroot is a cached Debian 12 minbase tree (no init system in it;
Debian's python3-netaddr and python3-pyroute2: tests/helpers/debtree.py),
under an overlay so the cache stays clean, in private mount, network and
UTS namespaces so neither the host's mounts nor its network or host name
can be touched. osconf comes from the checkout, bind-mounted into the
image's dist-packages, with a /usr/bin/osconf wrapper, as a package install
would provide them.
"""

import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.helpers.debtree import plain_tree
from tests.helpers.loopdisk import LoopDisk
from tests.helpers.tools import require_root, require_tool

pytestmark = pytest.mark.integration

CONF = b"hostname=chroot-host\npassword=cXdlcjEyMzQK\ndns_nameserver=7.7.7.7\n"
SCRIPT = r"""
set -eu
lower=$1 upper=$2 work=$3 merged=$4 repo=$5
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$upper,workdir=$work" "$merged"
mkdir -p "$merged/src"
mount --bind "$repo" "$merged/src"
# The checkout's package where the image's python3 finds it even isolated
# (-I: the boot entry point ignores PYTHONPATH), as a package install puts it.
ln -s /src/osconf "$merged/usr/lib/python3/dist-packages/osconf"
mount -t proc proc "$merged/proc"
mount -t sysfs sysfs "$merged/sys"
mount -t tmpfs tmpfs "$merged/run"
mount -t tmpfs tmpfs "$merged/tmp"
mount --rbind /dev "$merged/dev"
printf '#!/bin/sh\nexec python3 -m osconf "$@"\n' > "$merged/usr/bin/osconf"
chmod 755 "$merged/usr/bin/osconf"
in_root() { chroot "$merged" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
in_root osconf install --partition LABEL=OSCSYSV
echo "--- start"
in_root /etc/init.d/osconf start
echo "--- status"
in_root /etc/init.d/osconf status
echo "--- hostname $(hostname)"
echo "--- etc $(cat "$merged/etc/hostname")"
grep -c '^root:\$6\$' "$merged/etc/shadow"
ls "$merged/etc/rcS.d" | grep osconf
"""


def test_sysv_script_start_and_status_in_a_chroot(tmp_path: Path) -> None:
    require_root()
    unshare = require_tool("unshare", package="util-linux")
    lower = plain_tree()
    layers = [tmp_path / name for name in ("upper", "work", "merged")]
    for layer in layers:
        layer.mkdir()
    with LoopDisk(tmp_path) as disk:
        disk.mkfs(1, "ext4", "OSCSYSV")
        disk.put(1, "aliyun_custom_image/os.conf", CONF)
        result = subprocess.run(
            [unshare, "--mount", "--net", "--uts", "--propagation", "private",
             "bash", "-c", SCRIPT, "sysv", lower, *map(str, layers), str(REPO)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=300,
        )  # fmt: skip
        out = result.stdout
        assert result.returncode == 0, out + result.stderr
        assert "registered with /usr/sbin/update-rc.d (rcS" in out
        assert "Applying os.conf: done" in out
        assert "status: applied at " in out and ": applied and deleted: " in out  # status
        assert "--- hostname chroot-host" in out and "--- etc chroot-host" in out
        assert "osconf\n" in out.split("--- etc", 1)[1]  # its rcS.d link
        assert disk.listing(1, "aliyun_custom_image") == []
