"""The boot entry point on a real loop disk: an unmounted first partition is
mounted read-only to look, unmounted again, and a file there is handed over."""

import json
import os
import uuid
from pathlib import Path

import pytest

from osconf import lifecycle, service
from osconf.settings import runtime
from tests.helpers.loopdisk import LoopDisk
from tests.helpers.tools import require_root

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("with_file", [False, True])
def test_an_unmounted_partition_is_looked_at(tmp_path: Path, with_file: bool) -> None:
    require_root()
    label = "OSC" + uuid.uuid4().hex[:8].upper()
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/osconf.conf").write_text(f"partition=LABEL={label}\n")
    # An instance whose SSH host keys are made and recorded (osconf.sshkeys.pending).
    (root / "etc/ssh").mkdir()
    for name in ("rsa", "ecdsa", "ed25519"):
        (root / f"etc/ssh/ssh_host_{name}_key").write_text("")
        (root / f"etc/ssh/ssh_host_{name}_key.pub").write_text("")
    (root / "var/lib/osconf").mkdir(parents=True)
    (root / "var/lib/osconf/ssh-host-keys.json").write_text('{"version": 1, "macs": []}\n')
    settings = lifecycle.Settings(lock_file=str(tmp_path / "osconf.lock"))
    with LoopDisk(tmp_path) as disk:
        disk.mkfs(1, "ext4", label)
        disk.put(1, "aliyun_custom_image/os.conf", b"hostname=a\n" if with_file else None)
        base = runtime().mount_base
        before = set(os.listdir(base)) if os.path.isdir(base) else set()
        code = service.nothing_to_do(settings, str(root))
        assert not disk.mounted(), "unmounted after the look"
        assert set(os.listdir(base)) - before <= {f"dev-{disk.part_name(1)}"}
        if with_file:
            assert code is None  # handed over to `osconf apply`
            assert disk.listing(1, "aliyun_custom_image") == ["os.conf"]
            assert not (root / "var/lib/osconf/state.json").exists()
        else:
            assert code == 0
            [run] = json.loads((root / "var/lib/osconf/state.json").read_text())["runs"]
            assert run["outcome"] == "absent"
            assert run["source"].startswith("/run/osconf/mnt-")
