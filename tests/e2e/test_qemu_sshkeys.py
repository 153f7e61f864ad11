"""SSH host keys per instance, proven on real Debian 12 guests under QEMU.

The image is built without host keys (as the manual demands; Debian's sshd
does not make them itself). Checked from outside over SSH:

1. the first boot is reachable over SSH: osconf made the keys before sshd,
   and printed their fingerprints to the serial console and the journal;
2. a password change on the same instance (same MACs) keeps the keys;
3. a second instance made from the same disk, with another MAC, gets new keys.

Before the first boot `osconf check-image` examines the very disk image
that boots (no host keys: OK); afterwards it flags the keys the instance
now carries.
"""

import base64
import json
import shutil
from pathlib import Path
from typing import Dict, Iterator, Tuple

import pytest

from tests.conftest import SAMPLES, run_osconf
from tests.e2e.guest import Disk, base_tree, set_stack, with_osconf
from tests.e2e.vm import Guest, Nic
from tests.helpers.tools import require_root, require_tool

pytestmark = pytest.mark.e2e

FIRST_MAC = "00:8c:fa:5e:14:23"
SECOND_MAC = "00:16:3e:5a:01:02"
FIRST = Nic(FIRST_MAC, "10.171.254.0/24", "10.171.254.1")
SECOND = Nic(SECOND_MAC, "10.171.254.0/24", "10.171.254.1")
PW1, PW2, PW3 = "Keys-First-Pw-7e1d", "Keys-Second-Pw-22c9", "Keys-Third-Pw-5b0f"
ADDRESS = "10.171.254.123"


def _conf(password: str, mac: str = FIRST_MAC) -> bytes:
    secret = base64.b64encode(password.encode() + b"\n").decode()
    text = (SAMPLES / "vpc.conf").read_text().replace("cXdlcjEyMzQK", secret)
    return text.replace(FIRST_MAC, mac).encode()


@pytest.fixture(scope="module")
def keyless(tmp_path_factory: "pytest.TempPathFactory") -> Iterator[Tuple[Path, Path, Path, Path]]:
    """The Debian image with osconf, its root password locked, no SSH host keys."""
    require_root()
    tools = (("qemu-system-x86_64", "qemu-system-x86"), ("mmdebstrap", None),
             ("debugfs", "e2fsprogs"), ("sfdisk", "fdisk"), ("mcopy", "mtools"))  # fmt: skip
    for tool, package in tools:
        require_tool(tool, package=package)
    work = tmp_path_factory.mktemp("sshkeys")
    tree = with_osconf(base_tree(), work)
    set_stack(tree, "networkd")
    for key in (tree / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    kernel, initrd = work / "vmlinuz", work / "initrd.img"
    shutil.copy(sorted(tree.glob("boot/vmlinuz-*"))[-1], kernel)
    shutil.copy(sorted(tree.glob("boot/initrd.img-*"))[-1], initrd)
    yield work, tree, kernel, initrd


def _host_key(guest: Guest, password: str) -> str:
    """The host key sshd presented, as an operator's ssh client sees it."""
    client = guest.connect(password)
    try:
        transport = client.get_transport()
        assert transport is not None
        key = transport.get_remote_server_key()
        return f"{key.get_name()} {key.get_base64()}"
    finally:
        client.close()


def _public_keys(guest: Guest, password: str) -> Dict[str, str]:
    """File name -> "type base64" (without the comment) of each public host key."""
    listing = guest.run(password, "cd /etc/ssh && grep -H . ssh_host_*_key.pub")
    keys = {}
    for line in listing.splitlines():
        name, _, key = line.partition(":")
        keys[name] = " ".join(key.split()[:2])
    return keys


def _verdicts(disk: Path) -> Dict[str, str]:
    done = run_osconf("check-image", "--format", "json", str(disk))
    assert done.returncode in (0, 10, 11), done.stderr
    return {item["name"]: item["result"] for item in json.loads(done.stdout)["check_items"]}


def test_keys_made_at_first_boot_kept_on_settings_change_new_for_new_instance(
    keyless: Tuple[Path, Path, Path, Path],
) -> None:
    work, tree, kernel, initrd = keyless
    disk = Disk(work / "disk")
    disk.work.mkdir()
    disk.build(tree, _conf(PW1))

    before = _verdicts(disk.path)
    assert before["ssh host keys"] == "OK"
    for ready in ("driver", "ssh", "network", "boot-time script", "python and libraries",
                  "network stack", "root account", "qemu-ga", "security"):  # fmt: skip
        assert before[ready] == "OK", (ready, before)

    # Boot 1: the image's first boot. No host keys in it: osconf makes them.
    with Guest(disk.work, disk.path, kernel, initrd, [FIRST], ADDRESS, "keys-1") as guest:
        guest.wait_for_ssh(PW1)
        first = _public_keys(guest, PW1)
        assert sorted(first) == [f"ssh_host_{t}_key.pub" for t in ("ecdsa", "ed25519", "rsa")]
        assert _host_key(guest, PW1) in first.values()
        journal = guest.run(PW1, "journalctl -b -o cat -t osconf --no-pager")
        assert "-----BEGIN SSH HOST KEY FINGERPRINTS-----" in journal, journal
        assert "first boot of this image" in journal, journal
        guest.ok = True
    console = (disk.work / "keys-1.console.log").read_text(errors="replace")
    assert "-----BEGIN SSH HOST KEY FINGERPRINTS-----" in console
    assert "-----END SSH HOST KEY FINGERPRINTS-----" in console

    after = _verdicts(disk.path)
    assert after["ssh host keys"] == "FAILED", "check-image flags the keys the instance made"

    # Boot 2: the same instance, a new password: same keys.
    disk.put_conf(_conf(PW2))
    with Guest(disk.work, disk.path, kernel, initrd, [FIRST], ADDRESS, "keys-2") as guest:
        guest.wait_for_ssh(PW2)
        assert _public_keys(guest, PW2) == first
        assert "SSH HOST KEY FINGERPRINTS" not in guest.run(
            PW2, "journalctl -b -o cat -t osconf --no-pager"
        )
        guest.ok = True
    assert disk.conf_listing() == []

    # Boot 3: a second instance made from this disk: another MAC, new keys.
    disk.put_conf(_conf(PW3, SECOND_MAC))
    with Guest(disk.work, disk.path, kernel, initrd, [SECOND], ADDRESS, "keys-3") as guest:
        guest.wait_for_ssh(PW3)
        third = _public_keys(guest, PW3)
        assert sorted(third) == sorted(first)
        assert all(third[name] != first[name] for name in first), "keys must be new"
        assert _host_key(guest, PW3) in third.values()
        journal = guest.run(PW3, "journalctl -b -o cat -t osconf --no-pager")
        assert "new instance: MACs " + SECOND_MAC in journal, journal
        guest.ok = True
