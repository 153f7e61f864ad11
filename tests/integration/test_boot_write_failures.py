"""The real boot entry point, as `osconf.service` runs it, when osconf's own
files cannot be written: a full or read-only /var, `state.json` a directory,
a lock that cannot be created. Every case ends with a code of the README's
table and a message, never exit 1 "internal error" or a traceback.

Each run is in a private mount namespace (and its own UTS and network
namespaces): a copy of /etc with `partition=` naming a loop disk's first
partition (no os.conf on it), /var/lib on that disk's second partition
(ext4, read-only or with a directory
as state.json; a small tmpfs, filled to the last byte, for a full one: ext4
keeps writing small files after `df` says 0), the run-time directory in the test's folder.
Nothing of the host is written.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Dict

import pytest

from osconf.errors import ExitCode
from tests.conftest import REPO
from tests.helpers.loopdisk import LoopDisk
from tests.helpers.tools import require_root, require_tool

pytestmark = pytest.mark.integration

BOOT = r"""
set -eu
mount -t tmpfs -o size=32m,mode=0755 tmpfs "$ETC"
cp -a /etc/. "$ETC"/
printf 'partition=LABEL=%s\n' "$LABEL" >"$ETC/osconf.conf"
mkdir -p "$ETC/ssh"
for kind in rsa ecdsa ed25519; do : >"$ETC/ssh/ssh_host_${kind}_key"; \
    : >"$ETC/ssh/ssh_host_${kind}_key.pub"; done
mount --bind "$ETC" /etc
if [ "$MODE" = full ] || [ "$MODE" = full-conf ]; then mount -t tmpfs -o size=256k tmpfs /var/lib; \
    else mount "$VAR_NODE" /var/lib; fi
mkdir -p /var/lib/osconf
printf '{"version": 1, "macs": []}\n' >/var/lib/osconf/ssh-host-keys.json
case "$MODE" in
full|full-conf) cat /dev/zero >/var/lib/filler 2>/dev/null || true; sync ;;
read-only) mount -o remount,ro /var/lib ;;
directory) mkdir /var/lib/osconf/state.json ;;
lock) mkdir -p "$RUN"; mount -t tmpfs -o ro tmpfs "$RUN" ;;
esac
cd /
OSCONF_RUN_DIR="$RUN" "$PYTHON" -I -c "import osconf.service as s; s.boot()" \
    >"$OUT/out" 2>"$OUT/err" && echo 0 >"$OUT/rc" || echo $? >"$OUT/rc"
ls -A /var/lib/osconf >"$OUT/listing"
cp /etc/hostname "$OUT/hostname"
grep -c " $RUN/osconf/" /proc/self/mountinfo >"$OUT/mounts" || true
"""


def _boot(tmp_path: Path, mode: str) -> Dict[str, str]:
    require_root()
    unshare = require_tool("unshare", package="util-linux")
    for tool, package in (("sfdisk", "fdisk"), ("partx", "util-linux"),
                          ("mkfs.ext4", "e2fsprogs")):  # fmt: skip
        require_tool(tool, package=package)
    label = "OSC" + uuid.uuid4().hex[:8].upper()
    out, etc, run = tmp_path / "out", tmp_path / "etc", tmp_path / "run"
    out.mkdir()
    etc.mkdir()
    with LoopDisk(tmp_path) as disk:
        disk.mkfs(1, "ext4", label)
        disk.mkfs(2, "ext4", None)
        if mode == "full-conf":
            disk.put(1, "aliyun_custom_image/os.conf", b"hostname=bootfull\n")
        env = dict(os.environ, ETC=str(etc), LABEL=label, VAR_NODE=disk.node(2), MODE=mode,
                   RUN=str(run), OUT=str(out), PYTHON=sys.executable)  # fmt: skip
        for name in ("INVOCATION_ID", "JOURNAL_STREAM", "NOTIFY_SOCKET"):
            env.pop(name, None)
        subprocess.run([unshare, "-m", "-u", "-n", "--propagation", "private", "sh", "-c", BOOT],
                       env=env, cwd=REPO, check=True, timeout=300)  # fmt: skip
        assert not disk.mounted(), "the first partition is unmounted again"
        listing = disk.listing(1, "aliyun_custom_image")
    (out / "partition").write_text(" ".join(listing or []))
    return {p.name: p.read_text() for p in out.iterdir()}


def _assert_clean(result: Dict[str, str]) -> None:
    assert "Traceback" not in result["err"] and "internal error" not in result["err"], result
    assert result["mounts"].strip() in ("", "0"), "no private mount left behind"


@pytest.mark.parametrize("mode", ["full", "read-only"])
def test_a_boot_whose_record_cannot_be_written_still_ends_as_its_run(
    tmp_path: Path, mode: str
) -> None:
    result = _boot(tmp_path, mode)
    _assert_clean(result)
    # No os.conf: nothing to do, the run's own code; the record's failure is said.
    assert int(result["rc"]) == ExitCode.OK, result
    assert "cannot record the run in /var/lib/osconf/state.json" in result["err"], result
    expected = {"full": "No space left on device", "read-only": "Read-only file system"}[mode]
    assert expected in result["err"], result
    assert not [n for n in result["listing"].split() if n.endswith(".tmp")], result


def test_a_directory_in_the_records_place_is_moved_aside_and_the_run_recorded(
    tmp_path: Path,
) -> None:
    result = _boot(tmp_path, "directory")
    _assert_clean(result)
    assert int(result["rc"]) == ExitCode.OK, result
    assert "/var/lib/osconf/state.json is damaged: moved aside to" in result["err"], result
    names = result["listing"].split()
    assert "state.json" in names and [n for n in names if n.startswith("state.json.damaged-")]


def test_a_lock_that_cannot_be_created_is_exit_6(tmp_path: Path) -> None:
    result = _boot(tmp_path, "lock")
    _assert_clean(result)
    assert int(result["rc"]) == ExitCode.BUSY, result
    assert f"cannot take the lock {tmp_path / 'run/osconf.lock'}" in result["err"], result


def test_a_boot_with_os_conf_and_a_full_var_keeps_the_file_and_ends_as_failed(
    tmp_path: Path,
) -> None:
    result = _boot(tmp_path, "full-conf")
    _assert_clean(result)
    assert int(result["rc"]) == ExitCode.APPLY_FAILED, result
    assert "No space left on device" in result["err"], result
    assert result["partition"] == "os.conf", "kept for the next boot"
    assert "failed: write /etc/hostname (host name): [Errno 28]" in result["err"], result
    assert result["hostname"] == Path("/etc/hostname").read_text(), "left as it was"
    assert "cannot record the run in /var/lib/osconf/state.json" in result["err"], result
