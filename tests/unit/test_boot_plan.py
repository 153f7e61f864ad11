"""Boot before the network stack: the live step is left to the stack (osconf.boot)."""

import os
from pathlib import Path
from typing import Dict, List, Optional, Set

import pytest

from osconf.boot import LeaveToStack, stack_up, wait_for_nics
from osconf.live import ConfigureNic, RecordNetworkState, SetDefaultRoute
from osconf.model import OsConf
from osconf.options import Options
from osconf.plan import make_plan
from osconf.reload import GenerateNetplan
from osconf.system import System
from osconf.validate import load
from tests.conftest import SAMPLES, make_root

MAC0 = "00:8c:fa:5e:14:23"
MAC1 = "00:8c:fa:5e:14:24"


def sample(name: str) -> OsConf:
    conf, _ = load((SAMPLES / name).read_bytes(), name)
    return conf


def fake_proc(tmp_path: Path, *daemons: str) -> str:
    proc = tmp_path / "proc"
    for pid, comm in (("self", "python3"), *((str(10 + i), d) for i, d in enumerate(daemons))):
        (proc / pid / "ns").mkdir(parents=True)
        (proc / pid / "comm").write_text(comm + "\n")
        os.symlink("net:[1]", proc / pid / "ns" / "net")
    return str(proc)


def fake_sys(tmp_path: Path, nics: Dict[str, str], udev_done: Optional[Set[str]] = None) -> Path:
    """/sys/class/net with `nics` (name -> MAC), /run/udev/data for `udev_done`."""
    sys_net = tmp_path / "sys/class/net"
    udev = tmp_path / "run/udev/data"
    udev.mkdir(parents=True)
    for index, (name, mac) in enumerate(nics.items(), start=2):
        (sys_net / name).mkdir(parents=True)
        (sys_net / name / "address").write_text(mac + "\n")
        (sys_net / name / "ifindex").write_text(f"{index}\n")
        if udev_done is None or name in udev_done:
            (udev / f"n{index}").write_text("")
    return tmp_path


def test_each_stack_is_up_by_its_own_state(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    view = System(root)
    nothing = fake_proc(tmp_path / "a")
    for stack in ("networkd", "networkmanager", "netplan", "ifupdown", "ifcfg", "suse"):
        assert not stack_up(stack, view, nothing), stack
    networkd = fake_proc(tmp_path / "b", "systemd-network")
    assert stack_up("networkd", view, networkd) and stack_up("netplan", view, networkd)
    assert not stack_up("networkmanager", view, networkd)
    manager = fake_proc(tmp_path / "c", "NetworkManager")
    assert stack_up("networkmanager", view, manager) and stack_up("netplan", view, manager)
    assert stack_up("ifcfg", view, manager)
    assert stack_up("suse", view, fake_proc(tmp_path / "d", "wickedd"))
    (root / "run/network").mkdir(parents=True)
    (root / "run/network/ifstate").write_text("lo=lo\n")
    assert stack_up("ifupdown", view, nothing)
    with pytest.raises(ValueError):
        stack_up("wicked2", view, nothing)


def test_wait_finds_nics_by_mac_once_udev_named_them(tmp_path: Path) -> None:
    base = fake_sys(tmp_path, {"lo": "00:00:00:00:00:00", "ens3": MAC0, "ens4": MAC1}, {"ens3"})
    (base / "run/udev/control").write_text("")
    args = (
        str(base / "sys/class/net"),
        str(base / "run/udev/data"),
        str(base / "run/udev/control"),
    )
    conf = sample("classic.conf")
    # udev still has ens4 (it may rename it): not ready within the wait.
    assert wait_for_nics(conf, 0.2, *args) == {"eth0": "ens3"}
    (base / "run/udev/data/n4").write_text("")
    assert wait_for_nics(conf, 0, *args) == {"eth0": "ens3", "eth1": "ens4"}
    # No udev running: nobody renames, present is ready.
    (base / "run/udev/control").unlink()
    (base / "run/udev/data/n4").unlink()
    assert wait_for_nics(conf, 0, *args) == {"eth0": "ens3", "eth1": "ens4"}


def test_missing_nic_fails_alone() -> None:
    present = LeaveToStack("eth0", MAC0, "ens3", "ifupdown", 30)
    absent = LeaveToStack("eth1", MAC1, None, "ifupdown", 30)
    system = System("/nonexistent")
    assert present.execute(system) is False
    with pytest.raises(LookupError, match=f"eth1: no NIC with MAC {MAC1} appeared within 30 s"):
        absent.execute(system)


def _plan(root: Path, conf: OsConf, stack: str, **options: object) -> List[object]:
    opts = Options(live=True, network_stack=stack, nic_timeout=0, **options)  # type: ignore[arg-type]
    return list(make_plan(conf, System(root), opts).actions)


def test_boot_before_ifupdown_leaves_the_kernel_to_it(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    actions = _plan(root, sample("classic.conf"), "ifupdown", defer_to_stack=True)
    kinds = {type(a) for a in actions}
    assert not kinds & {ConfigureNic, SetDefaultRoute}, "the live step raced ifup at boot"
    leave = [a for a in actions if isinstance(a, LeaveToStack)]
    assert [(a.name, a.mac) for a in leave] == [("eth0", MAC0), ("eth1", MAC1)]
    record = [a for a in actions if isinstance(a, RecordNetworkState)]
    assert len(record) == 1 and record[0].previous == ()
    assert any("/etc/network/interfaces.d/osconf" in a.describe() for a in actions)


def test_once_ifupdown_is_up_the_live_step_runs(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root", {"run/network/ifstate": "lo=lo\n"})
    actions = _plan(root, sample("vpc.conf"), "ifupdown", defer_to_stack=True)
    assert [type(a) for a in actions if isinstance(a, (ConfigureNic, SetDefaultRoute))] == [
        ConfigureNic,
        SetDefaultRoute,
    ]
    assert not any(isinstance(a, LeaveToStack) for a in actions)


def test_explicit_live_always_sets_the_kernel(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    actions = _plan(root, sample("vpc.conf"), "networkd")
    assert any(isinstance(a, ConfigureNic) for a in actions)


def test_boot_with_netplan_generates_for_the_backend(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    actions = _plan(root, sample("vpc.conf"), "netplan", defer_to_stack=True)
    assert any(isinstance(a, LeaveToStack) for a in actions)
    assert GenerateNetplan() in actions
    # Not the running system: the image's own generator runs at its boot.
    assert GenerateNetplan().execute(System(root)) is False
