"""SSH host keys per instance, with the host's real ssh-keygen pointed into a temporary root.

Which keys sshd uses (HostKey lines, Includes, defaults), when they are made
(missing), when they are replaced (a new instance: first boot, new MAC set)
and when they are kept (same MACs, a mere settings change, no os.conf).
"""

import json
import os
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from osconf import sshkeys
from osconf.model import Nic, OsConf
from osconf.system import System
from tests.helpers.tools import require_tool

pytestmark = pytest.mark.integration

MAC_A = "00:8c:fa:5e:14:23"
MAC_B = "00:8c:fa:5e:99:01"


def _conf(*macs: str, hostname: str = "iZone") -> OsConf:
    nics = tuple(
        Nic(f"eth{i}", i, mac, f"10.1.2.{3 + i}", 24, "10.1.2.1") for i, mac in enumerate(macs)
    )
    return OsConf(hostname=hostname, nics=nics)


def _root(tmp_path: Path, sshd_config: str = "") -> System:
    root = tmp_path / "root"
    (root / "etc/ssh/sshd_config.d").mkdir(parents=True)
    (root / "etc/ssh/sshd_config").write_text(sshd_config)
    return System(root)


def _keys(system: System) -> Dict[str, bytes]:
    folder = system.host_path("/etc/ssh")
    return {p.name: p.read_bytes() for p in sorted(folder.glob("ssh_host_*"))}


def _ensure(system: System, conf: Optional[OsConf], ever_ran: bool, console: Path) -> List[str]:
    program = require_tool("ssh-keygen", package="openssh-client")
    return sshkeys.ensure(system, conf, ever_ran, program, str(console))


def test_default_key_types_like_ssh_keygen_A(tmp_path: Path) -> None:
    system = _root(tmp_path, "Port 22\nPermitRootLogin yes\n")
    assert sshkeys.host_keys(system) == [
        sshkeys.HostKey(f"/etc/ssh/ssh_host_{t}_key", t) for t in ("rsa", "ecdsa", "ed25519")
    ]


def test_hostkey_lines_and_includes_choose_the_types(tmp_path: Path) -> None:
    config = (
        "Include /etc/ssh/sshd_config.d/*.conf\nHostKey /etc/ssh/ssh_host_ed25519_key\n"
        "Match User bob\nHostKey /etc/ssh/ssh_host_dsa_key\n"
    )
    system = _root(tmp_path, config)
    (system.host_path("/etc/ssh/sshd_config.d/10-rsa.conf")).write_text(
        "HostKey = /etc/ssh/keys/my_rsa_key\nHostKey /etc/ssh/strange\n"
    )
    assert sshkeys.host_keys(system) == [
        sshkeys.HostKey("/etc/ssh/keys/my_rsa_key", "rsa"),
        sshkeys.HostKey("/etc/ssh/ssh_host_ed25519_key", "ed25519"),
    ]


def test_an_include_cannot_leave_the_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside.conf"
    outside.write_text("HostKey /etc/ssh/ssh_host_dsa_key\n")
    system = _root(tmp_path, f"Include ../../{outside.name}\nInclude {outside}\n")
    assert [k.kind for k in sshkeys.host_keys(system)] == ["rsa", "ecdsa", "ed25519"]


def test_first_boot_makes_missing_keys_and_prints_fingerprints(tmp_path: Path) -> None:
    system = _root(tmp_path)
    console = tmp_path / "console"
    console.write_text("")
    written = _ensure(system, None, False, console)
    assert written == [f"/etc/ssh/ssh_host_{t}_key" for t in ("rsa", "ecdsa", "ed25519")]
    keys = _keys(system)
    assert sorted(keys) == sorted(
        f"ssh_host_{t}_key{s}" for t in ("rsa", "ecdsa", "ed25519") for s in ("", ".pub")
    )
    assert (
        oct(os.stat(system.host_path("/etc/ssh/ssh_host_ed25519_key")).st_mode & 0o777) == "0o600"
    )
    lines = console.read_text().splitlines()
    assert lines[0] == sshkeys.BEGIN and lines[-1] == sshkeys.END
    assert len(lines) == 5
    assert all("SHA256:" in line for line in lines[1:4])
    assert lines[3].endswith("(ED25519)")
    assert not list(system.host_path("/etc/ssh").glob("*osconf-new*"))


def test_keys_baked_into_an_image_are_replaced_at_its_first_boot(tmp_path: Path) -> None:
    system = _root(tmp_path)
    console = tmp_path / "console"
    _ensure(system, None, True, console)  # as the image builder left them (no record)
    system.remove_file(sshkeys.RECORD)
    baked = _keys(system)
    _ensure(system, _conf(MAC_A), False, console)
    fresh = _keys(system)
    assert all(fresh[name] != baked[name] for name in baked)
    assert json.loads(system.read_text(sshkeys.RECORD) or "") == {"version": 1, "macs": [MAC_A]}


def test_same_instance_keeps_keys_new_macs_replace_them_once(tmp_path: Path) -> None:
    system = _root(tmp_path)
    console = tmp_path / "console"
    _ensure(system, _conf(MAC_A), False, console)
    first = _keys(system)
    # A settings change of the same instance, then a boot without os.conf.
    assert _ensure(system, _conf(MAC_A, hostname="iZtwo"), True, console) == []
    assert _ensure(system, None, True, console) == []
    assert _keys(system) == first
    # A second instance from the same disk: another MAC set.
    assert len(_ensure(system, _conf(MAC_B), True, console)) == 3
    second = _keys(system)
    assert all(second[name] != first[name] for name in first)
    assert _ensure(system, _conf(MAC_B), True, console) == []
    assert _keys(system) == second


def test_a_deleted_key_is_made_again_without_touching_the_others(tmp_path: Path) -> None:
    system = _root(tmp_path)
    console = tmp_path / "console"
    _ensure(system, _conf(MAC_A), False, console)
    before = _keys(system)
    system.host_path("/etc/ssh/ssh_host_ecdsa_key.pub").unlink()
    assert _ensure(system, _conf(MAC_A), True, console) == ["/etc/ssh/ssh_host_ecdsa_key"]
    after = _keys(system)
    assert after["ssh_host_rsa_key"] == before["ssh_host_rsa_key"]
    assert after["ssh_host_ecdsa_key"] != before["ssh_host_ecdsa_key"]


def test_an_upgraded_instance_without_a_record_keeps_its_keys(tmp_path: Path) -> None:
    system = _root(tmp_path)
    console = tmp_path / "console"
    _ensure(system, None, True, console)
    system.remove_file(sshkeys.RECORD)
    before = _keys(system)
    assert _ensure(system, _conf(MAC_A), True, console) == []
    assert _keys(system) == before


def test_a_replaced_key_keeps_the_images_group_and_mode(tmp_path: Path) -> None:
    system = _root(tmp_path, "HostKey /etc/ssh/ssh_host_ed25519_key\n")
    console = tmp_path / "console"
    _ensure(system, None, True, console)
    key = system.host_path("/etc/ssh/ssh_host_ed25519_key")
    os.chmod(key, 0o640)
    os.chown(key, 0, 4)
    _ensure(system, _conf(MAC_B), False, console)
    st = os.stat(key)
    assert (st.st_mode & 0o777, st.st_gid) == (0o640, 4)


def test_a_damaged_record_is_as_if_none(tmp_path: Path) -> None:
    system = _root(tmp_path)
    system.write_file(sshkeys.RECORD, "{not json", 0o600)
    assert sshkeys.is_new_instance(system, [MAC_A], True) == (
        False,
        "no record of the keys' instance yet",
    )
    assert sshkeys.is_new_instance(system, [MAC_A], False)[0]


def test_offline_boot_hook_generates_nothing(tmp_path: Path) -> None:
    system = _root(tmp_path)
    hook = sshkeys.Boot(system)
    hook.seen(_conf(MAC_A))
    hook.finish()
    assert _keys(system) == {}
    assert not system.exists(sshkeys.RECORD)


def test_present_lists_keys_an_image_carries(tmp_path: Path) -> None:
    system = _root(tmp_path)
    assert sshkeys.present(system) == []
    _ensure(system, None, True, tmp_path / "console")
    assert sshkeys.present(system) == [
        f"/etc/ssh/ssh_host_{t}_key" for t in ("ecdsa", "ed25519", "rsa")
    ]


def test_the_boot_fast_path_hands_over_when_keys_are_due(tmp_path: Path) -> None:
    system = _root(tmp_path)
    root = str(system.root)
    assert sshkeys.pending(root), "no keys, no record: a first boot"
    _ensure(system, None, False, tmp_path / "console")
    assert not sshkeys.pending(root)
    system.host_path("/etc/ssh/ssh_host_rsa_key.pub").unlink()
    assert sshkeys.pending(root)
    _ensure(system, None, True, tmp_path / "console")
    system.remove_file(sshkeys.RECORD)
    assert sshkeys.pending(root), "keys osconf has not recorded: the full run decides"
