"""The live network's pure parts: state record, NIC choice, planned actions, reload table."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional

import pytest

from osconf import netstate
from osconf.live import (
    ConfigureNic,
    RecordNetworkState,
    RemoveStale,
    SetDefaultRoute,
    broadcast,
    live_actions,
)
from osconf.model import OsConf, Route
from osconf.netlink import Link, pick_link
from osconf.netstate import NicState
from osconf.plan import Options
from osconf.reload import (
    GenerateNetplan,
    ReloadNetworkd,
    ReloadNetworkManager,
    daemon_running,
    reload_actions,
)
from osconf.system import System
from osconf.validate import load
from tests.conftest import REPO, SAMPLES

MAC0 = "00:8c:fa:5e:14:23"
MAC1 = "00:8c:fa:5e:14:24"


def sample(name: str) -> OsConf:
    conf, _ = load((SAMPLES / name).read_bytes(), name)
    return conf


def link(index: int, name: str, mac: Optional[str], **kw: object) -> Link:
    fields: Dict[str, object] = {"permanent_mac": None, "up": True, "kind": None, "master": None}
    fields.update(kw)
    return Link(index, name, mac, **fields)  # type: ignore[arg-type]


def test_state_round_trip_and_stale() -> None:
    old = netstate.wanted(sample("classic.conf"))
    assert netstate.loads(netstate.dumps(old)) == old
    new = netstate.wanted(sample("vpc.conf"))
    assert netstate.stale(old, new) == (
        NicState(
            MAC0,
            "eth0",
            (),
            (Route("10.0.0.0/8", "10.171.254.1"), Route("172.16.0.0/12", "10.171.254.1")),
        ),
        NicState(MAC1, "eth1", ("42.120.74.105/24",), (Route("0.0.0.0/0", "42.120.74.1"),)),
    )
    assert netstate.stale(old, old) == ()


def test_state_holds_no_secret() -> None:
    text = netstate.dumps(netstate.wanted(sample("classic.conf")))
    assert "qwer1234" not in text and "cXdlcjEyMzQK" not in text and "password" not in text


@pytest.mark.parametrize("text", ["{", '{"version": 9, "nics": []}', '{"version": 1}', "[]"])
def test_unreadable_state_counts_as_empty(text: str) -> None:
    assert netstate.loads(text) == ()


def test_pick_link_prefers_permanent_mac_then_plain_nic() -> None:
    links = [
        link(2, "bond0", MAC0, kind="bond"),
        link(3, "ens5", "02:00:00:00:00:01", permanent_mac=MAC0, master=2),
        link(4, "ens6", MAC1),
        link(5, "ens6.7", MAC1, kind="vlan"),
    ]
    picked = pick_link(links, MAC0, "eth0")
    assert picked is not None and picked.name == "ens5"
    picked = pick_link(links, MAC1.upper(), "eth1")
    assert picked is not None and picked.name == "ens6"
    assert pick_link(links, "00:00:5e:00:53:01", "eth0") is None
    by_name = pick_link([link(7, "eth0", MAC1)], None, "eth0")
    assert by_name is not None and by_name.index == 7


def test_classic_plan_defaults_via_eth1(tmp_path: Path) -> None:
    actions = live_actions(sample("classic.conf"), System(tmp_path), Options(live=True))
    assert [type(a) for a in actions] == [
        ConfigureNic,
        ConfigureNic,
        SetDefaultRoute,
        RecordNetworkState,
    ]
    eth0 = actions[0]
    assert isinstance(eth0, ConfigureNic) and eth0.mac == MAC0
    assert all(not r.is_default for r in eth0.routes)
    default = actions[2]
    assert isinstance(default, SetDefaultRoute)
    assert (default.name, default.mac, default.gateway) == ("eth1", MAC1, "42.120.74.1")


def test_plan_removes_only_what_the_previous_conf_added(tmp_path: Path) -> None:
    state = tmp_path / netstate.STATE_FILE.lstrip("/")
    state.parent.mkdir(parents=True)
    state.write_text(netstate.dumps(netstate.wanted(sample("classic.conf"))))
    options = Options(live=True, nic_timeout=5)
    actions = live_actions(sample("vpc.conf"), System(tmp_path), options)
    removals = [a for a in actions if isinstance(a, RemoveStale)]
    assert [(r.name, r.addresses, r.keep_address, r.keep_default) for r in removals] == [
        ("eth0", (), "10.171.254.123/24", "10.171.254.1"),
        ("eth1", ("42.120.74.105/24",), None, "10.171.254.1"),
    ]
    assert isinstance(actions[0], ConfigureNic) and actions[0].timeout == 5
    assert "42.120.74.105/24" in removals[1].describe()


def test_reload_table() -> None:
    view = System("/nonexistent")
    conf = sample("vpc.conf")
    assert reload_actions("networkd", view) == (ReloadNetworkd(),)
    netplan = reload_actions("netplan", view, conf)
    assert [type(a) for a in netplan] == [GenerateNetplan, ReloadNetworkd, ReloadNetworkManager]
    for name in ("networkmanager", "ifcfg", "suse"):
        assert reload_actions(name, view, conf) == (
            ReloadNetworkManager((("eth0", MAC0, "10.171.254.123/24"),)),
        )
    assert reload_actions("ifupdown", view, conf) == ()
    with pytest.raises(ValueError):
        reload_actions("wicked2", view)


def test_daemon_running_needs_the_same_network_namespace(tmp_path: Path) -> None:
    proc = tmp_path / "proc"
    for pid, comm, ns in (
        ("self", "python3", "net:[1]"),
        ("10", "systemd-network", "net:[2]"),
        ("11", "NetworkManager", "net:[1]"),
    ):
        (proc / pid / "ns").mkdir(parents=True)
        (proc / pid / "comm").write_text(comm + "\n")
        os.symlink(ns, proc / pid / "ns" / "net")
    assert daemon_running("NetworkManager", str(proc))
    assert not daemon_running("systemd-network", str(proc))


def test_pyroute2_is_loaded_only_by_the_live_apply() -> None:
    code = (
        "import sys\n"
        "from osconf import cli, live, reload, plan, runner\n"
        "from osconf.validate import load\n"
        "from osconf.system import System\n"
        f"conf, _ = load(open({str(SAMPLES / 'classic.conf')!r}, 'rb').read(), 'x')\n"
        "options = plan.Options(live=True, network_stack='networkd')\n"
        "plan.make_plan(conf, System('/nonexistent'), options).describe()\n"
        "assert 'pyroute2' not in sys.modules, 'pyroute2 imported while planning'\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )
    assert result.returncode == 0, result.stderr


def test_nic_timeout_argument(tmp_path: Path) -> None:
    from tests.conftest import run_osconf

    conf = SAMPLES / "vpc.conf"
    bad = run_osconf("apply", "--root", str(tmp_path), "--conf", str(conf), "--nic-timeout", "x")
    assert bad.returncode == 2 and "not a number of seconds" in bad.stderr
    bad = run_osconf("apply", "--root", str(tmp_path), "--conf", str(conf), "--nic-timeout", "-1")
    assert bad.returncode == 2 and "between 0 and 3600" in bad.stderr


@pytest.mark.parametrize(
    ("address", "prefixlen", "expected"),
    [
        ("10.171.254.123", 24, "10.171.254.255"),
        ("172.16.5.9", 20, "172.16.15.255"),
        ("10.0.0.1", 30, "10.0.0.3"),
        ("10.0.0.1", 31, None),
        ("10.0.0.1", 32, None),
    ],
)
def test_broadcast(address: str, prefixlen: int, expected: Optional[str]) -> None:
    assert broadcast(address, prefixlen) == expected
