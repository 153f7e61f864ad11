"""Planning: data in, actions out; DNS goes where the resolver reads it."""

import os
from pathlib import Path
from typing import Dict, Tuple

from osconf.actions import CannotPlan, RemoveFile, SetLiveHostname, SetPassword, WriteFile
from osconf.model import Nic, OsConf, Secret
from osconf.plan import Options, make_plan
from osconf.system import System
from tests.conftest import make_root

CONF = OsConf(
    hostname="h1",
    password=Secret("pw-secret"),
    nics=(Nic("eth0", 0, "00:8c:fa:5e:14:23", "10.1.2.3", 24, "10.1.2.1"),),
    dns=("7.7.7.7",),
)


def writes(actions: Tuple[object, ...]) -> Dict[str, str]:
    return {a.path: a.content for a in actions if isinstance(a, WriteFile)}


def test_core_actions(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    plan = make_plan(CONF, System(root), Options())
    files = writes(plan.actions)
    assert files["/etc/hostname"] == "h1\n"
    assert "10.1.2.3\th1\t# osconf" in files["/etc/hosts"]
    assert files["/etc/resolv.conf"].splitlines()[1] == "nameserver 7.7.7.7"
    assert SetPassword("root", Secret("pw-secret")) in plan.actions
    assert not any(isinstance(a, SetLiveHostname) for a in plan.actions)
    text = "\n".join(plan.describe()) + repr(plan)
    assert "pw-secret" not in text


def test_sysconfig_network_only_when_present(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    (root / "etc/sysconfig").mkdir()
    (root / "etc/sysconfig/network").write_text("NETWORKING=yes\nHOSTNAME=old\n")
    files = writes(make_plan(CONF, System(root)).actions)
    assert files["/etc/sysconfig/network"] == "NETWORKING=yes\nHOSTNAME=h1\n"


def test_nothing_asked_nothing_planned(tmp_path: Path) -> None:
    assert make_plan(OsConf(), System(make_root(tmp_path))).actions == ()


def _link_resolv(root: Path, target: str) -> None:
    os.unlink(root / "etc/resolv.conf")
    os.symlink(target, root / "etc/resolv.conf")


def test_systemd_resolved_gets_a_dropin(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    _link_resolv(root, "../run/systemd/resolve/stub-resolv.conf")
    files = writes(make_plan(CONF, System(root)).actions)
    assert "/etc/resolv.conf" not in files
    assert "DNS=7.7.7.7" in files["/etc/systemd/resolved.conf.d/osconf.conf"]


def test_resolvconf_gets_its_head_file(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    _link_resolv(root, "/run/resolvconf/resolv.conf")
    files = writes(make_plan(CONF, System(root)).actions)
    assert files["/etc/resolvconf/resolv.conf.d/head"] == "nameserver 7.7.7.7\n"


def test_netconfig(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    _link_resolv(root, "/run/netconfig/resolv.conf")
    (root / "etc/sysconfig/network").mkdir(parents=True)
    (root / "etc/sysconfig/network/config").write_text('NETCONFIG_DNS_STATIC_SERVERS=""\n')
    files = writes(make_plan(CONF, System(root)).actions)
    assert files["/etc/sysconfig/network/config"] == "NETCONFIG_DNS_STATIC_SERVERS=7.7.7.7\n"


def test_other_existing_link_target_is_edited(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    (root / "etc/resolv.real").write_text("nameserver 1.1.1.1\n")
    _link_resolv(root, "resolv.real")
    files = writes(make_plan(CONF, System(root)).actions)
    assert files["/etc/resolv.conf"] == "nameserver 7.7.7.7\n"


def test_dangling_unknown_link_becomes_a_file(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    _link_resolv(root, "/nowhere/resolv.conf")
    system = System(root)
    plan = make_plan(CONF, system)
    assert any(isinstance(a, RemoveFile) and a.path == "/etc/resolv.conf" for a in plan.actions)
    for action in plan.actions:
        action.execute(system)
    assert not (root / "etc/resolv.conf").is_symlink()
    assert (root / "etc/resolv.conf").read_text() == "nameserver 7.7.7.7\n"
    assert not (root / "nowhere").exists()


def test_an_unreadable_target_file_fails_its_part_alone(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    (root / "etc/hosts").unlink()
    (root / "etc/hosts").mkdir()
    plan = make_plan(CONF, System(root), Options())
    failed = [a for a in plan.actions if isinstance(a, CannotPlan)]
    assert [a.what for a in failed] == ["host name mapping in /etc/hosts"]
    assert failed[0].reason == "is a directory, not a regular file: /etc/hosts"
    assert set(writes(plan.actions)) == {
        "/etc/hostname",
        "/etc/resolv.conf",
        "/etc/network/interfaces",
        "/etc/network/interfaces.d/osconf",
    }
    assert any(isinstance(a, SetPassword) for a in plan.actions)
