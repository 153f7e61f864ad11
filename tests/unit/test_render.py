"""Stack detection and renderer rules, on small image trees."""

import os
from pathlib import Path
from typing import Dict, List

import pytest

from osconf.errors import UnsupportedError
from osconf.plan import Options, make_plan
from osconf.render import detect, persist_actions
from osconf.system import System
from osconf.validate import load
from tests.conftest import SAMPLES, make_root

CLASSIC, _ = load((SAMPLES / "classic.conf").read_bytes())


def _enable(root: Path, unit: str) -> None:
    wants = root / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    os.symlink(f"/lib/systemd/system/{unit}", wants / unit)


@pytest.mark.parametrize(
    ("files", "units", "expected"),
    [
        ({}, [], "ifupdown"),  # Debian by os-release
        ({"usr/sbin/netplan": ""}, ["systemd-networkd.service"], "netplan"),
        ({"sbin/ifup": ""}, ["systemd-networkd.service"], "networkd"),
        ({"sbin/ifup": ""}, ["NetworkManager.service"], "networkmanager"),
        ({"etc/os-release": 'ID=centos\nID_LIKE="rhel fedora"\n'}, [], "ifcfg"),
        ({"etc/os-release": 'ID=opensuse-leap\nID_LIKE="suse opensuse"\n'}, [], "suse"),
        ({"etc/osconf.conf": "network_stack=netplan\n"}, [], "netplan"),
    ],
)
def test_detection(tmp_path: Path, files: Dict[str, str], units: List[str], expected: str) -> None:
    root = make_root(tmp_path / "root", files)
    for unit in units:
        _enable(root, unit)
    assert detect(System(root)).name == expected


def test_nothing_detected_names_what_was_looked_for(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root", {"etc/os-release": "ID=plan9\n"})
    with pytest.raises(UnsupportedError, match="looked for netplan: /usr/sbin/netplan"):
        detect(System(root))
    with pytest.raises(UnsupportedError, match="unknown network stack 'wicked'"):
        detect(System(root), "wicked")


def test_hidden_files_are_not_configs(tmp_path: Path) -> None:
    # A temporary file left by a killed write is no configuration to edit.
    root = make_root(tmp_path / "root", {
        "etc/network/interfaces.d/.osconf.osconf-tmp.42": "auto eth0\niface eth0 inet dhcp\n",
        "etc/network/interfaces.d/cloud": "auto eth0\niface eth0 inet dhcp\n",
    })  # fmt: skip
    paths = {getattr(a, "path", "") for a in persist_actions(CLASSIC, System(root), Options())}
    assert "/etc/network/interfaces.d/cloud" in paths
    assert not [p for p in paths if "osconf-tmp" in p]


def test_classic_dns_on_the_default_route_nic_only(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    plan = make_plan(CLASSIC, System(root), Options(network_stack="networkd"))
    files = {a.path: a.content for a in plan.actions if hasattr(a, "content")}
    eth0 = files["/etc/systemd/network/10-osconf-eth0.network"]
    eth1 = files["/etc/systemd/network/10-osconf-eth1.network"]
    assert "DNS=" not in eth0 and "Gateway=10.171.254.1" in eth0
    assert "\nGateway=42.120.74.1" in eth1 and "DNS=7.7.7.7" in eth1
    assert "[Route]\nGateway=10.171.254.1" not in eth0  # no default route on eth0


def test_conflicting_networkd_file_for_the_same_mac_goes(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root", {
        "etc/systemd/network/05-dhcp.network": "[Match]\nMACAddress=00:8c:fa:5e:14:23\n"
        "[Network]\nDHCP=yes\n",
        "etc/systemd/network/05-other.network": "[Match]\nMACAddress=00:11:22:33:44:55\n",
    })  # fmt: skip
    actions = persist_actions(CLASSIC, System(root), Options(network_stack="networkd"))
    removed = {a.path for a in actions if type(a).__name__ == "RemoveFile"}
    assert removed == {"/etc/systemd/network/05-dhcp.network"}


def test_netplan_file_of_several_nics_loses_only_osconfs_nic(tmp_path: Path) -> None:
    shared = (
        "network:\n  version: 2\n  ethernets:\n    eth0:\n      match:\n"
        "        macaddress: 00:8c:fa:5e:14:23\n      dhcp4: true\n"
        "    eth5:\n      dhcp4: true\n"
    )
    alone = "network:\n  ethernets:\n    eth1:\n      dhcp4: true\n"
    root = make_root(tmp_path / "root", {
        "etc/netplan/40-shared.yaml": shared,
        "etc/netplan/50-cloud-init.yaml": alone,
        "etc/cloud/cloud.cfg": "",
    })  # fmt: skip
    plan = make_plan(CLASSIC, System(root), Options(network_stack="netplan"))
    described = plan.describe()
    assert "remove /etc/netplan/50-cloud-init.yaml (it defines nothing but eth1)" in described
    writes = {a.path: a.content for a in plan.actions if type(a).__name__ == "WriteFile"}
    assert writes["/etc/netplan/40-shared.yaml"] == (
        "network:\n  version: 2\n  ethernets:\n    eth5:\n      dhcp4: true\n"
    )
    assert any("/etc/cloud/cloud.cfg.d/99-osconf-network.cfg" in d for d in described)


def test_networkmanager_ipv4_dns_holds_ipv4_servers_only(tmp_path: Path) -> None:
    # Issue 13, item 16: IPv6 servers went into [ipv4] dns=, which libnm drops.
    data = (
        (SAMPLES / "vpc.conf")
        .read_bytes()
        .replace(b'dns_nameserver="7.7.7.7 8.8.8.8"', b'dns_nameserver="7.7.7.7 2001:db8::53"')
    )
    conf, _ = load(data)
    root = make_root(tmp_path / "root")
    plan = make_plan(conf, System(root), Options(network_stack="networkmanager"))
    files = {a.path: a.content for a in plan.actions if hasattr(a, "content")}
    profile = files["/etc/NetworkManager/system-connections/osconf-eth0.nmconnection"]
    assert "\ndns=7.7.7.7;\n" in profile and "2001:db8::53" not in profile


def test_unsafe_kernel_link_names_are_never_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Issue 13, item 14: a link name went unquoted into shell-sourced files.
    import osconf.render as render

    sysnet = tmp_path / "sysnet"
    for name, mac in (("x$(reboot)", "00:8c:fa:5e:14:23"), ("ens5", "00:8c:fa:5e:14:24")):
        (sysnet / name).mkdir(parents=True)
        (sysnet / name / "address").write_text(mac + "\n")
    monkeypatch.setattr(render, "SYS_NET", str(sysnet))
    assert render.kernel_names(CLASSIC, live=True) == {"eth1": "ens5"}


@pytest.mark.parametrize(
    "line,sourced",
    [
        ("source /etc/network/interfaces.d/*", True),
        ("source interfaces.d/*", True),
        ("source-directory /etc/network/interfaces.d", True),
        ("source-directory interfaces.d", True),
        ("source /etc/network/interfaces.d/*.cfg", False),  # issue 13, item 9
        ("source /etc/network/interfaces.d/eth*", False),
        ("# source /etc/network/interfaces.d/*", False),
    ],
)
def test_ifupdown_source_line_must_really_read_osconfs_file(
    tmp_path: Path, line: str, sourced: bool
) -> None:
    root = make_root(tmp_path / "root")
    (root / "etc/network").mkdir()
    (root / "etc/network/interfaces").write_text(f"auto lo\niface lo inet loopback\n{line}\n")
    plan = make_plan(CLASSIC, System(root), Options(network_stack="ifupdown"))
    files = {a.path: a.content for a in plan.actions if hasattr(a, "content")}
    edited = files.get("/etc/network/interfaces")
    if sourced:
        assert edited is None
    else:
        assert edited is not None and edited.endswith("source /etc/network/interfaces.d/*\n")


@pytest.mark.parametrize(
    "match,conflict",
    [
        ("MACAddress=00:8C:FA:5E:14:23", True),  # issue 13, item 5: upper case was missed
        ("MACAddress=aa:bb:cc:dd:ee:ff 00:8c:fa:5e:14:23", True),  # a list
        ("Name=eth*", True),  # a glob
        ("Name=en* eth0", True),
        ("Name=eth10", False),
        ("MACAddress=00:8c:fa:5e:14:99", False),
    ],
)
def test_networkd_conflicts_are_matched_as_networkd_reads_them(
    tmp_path: Path, match: str, conflict: bool
) -> None:
    conf, _ = load((SAMPLES / "vpc.conf").read_bytes())
    root = make_root(tmp_path / "root")
    (root / "etc/systemd/network").mkdir(parents=True)
    (root / "etc/systemd/network/05-dhcp.network").write_text(f"[Match]\n{match}\n[Network]\n")
    plan = make_plan(conf, System(root), Options(network_stack="networkd"))
    changed = [a.path for a in plan.actions if type(a).__name__ in ("RemoveFile", "WriteFile")]
    assert ("/etc/systemd/network/05-dhcp.network" in changed) == conflict


@pytest.mark.parametrize(
    "line,conflict", [("interface-name=eth0", True), ("interface-name=eth01", False)]
)
def test_networkmanager_conflicts_need_the_exact_name(
    tmp_path: Path, line: str, conflict: bool
) -> None:
    conf, _ = load((SAMPLES / "vpc.conf").read_bytes().replace(b"eth0_mac_addr=", b"#"))
    root = make_root(tmp_path / "root")
    folder = root / "etc/NetworkManager/system-connections"
    folder.mkdir(parents=True)
    (folder / "Wired.nmconnection").write_text(f"[connection]\nid=Wired\n{line}\n")
    plan = make_plan(conf, System(root), Options(network_stack="networkmanager"))
    removed = [a.path for a in plan.actions if type(a).__name__ == "RemoveFile"]
    assert ("/etc/NetworkManager/system-connections/Wired.nmconnection" in removed) == conflict
