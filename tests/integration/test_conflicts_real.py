"""Conflicts taken out of an image's own files, judged by the real consumers
(issue 13, item 5): after osconf's edit, `netplan generate` still renders
the VLAN and the other NIC and gives eth0 only osconf's configuration;
ifupdown still brings up eth0's IPv6 stanza beside osconf's IPv4 one;
networkd still configures the other NIC a glob file took along with eth0.
"""

import json
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest

from tests.conftest import SAMPLES, make_root, run_osconf
from tests.helpers.livenet import Lab
from tests.helpers.networkd import start_networkd
from tests.helpers.tools import require_tool

pytestmark = pytest.mark.integration

CLOUD = """\
# written by cloud-init
network:
  version: 2
  ethernets:
    eth0:
      match:
        macaddress: 00:8c:fa:5e:14:23
      set-name: eth0
      dhcp4: true
    eth5:
      dhcp4: true
  vlans:
    vlan100:
      id: 100
      link: eth0
      addresses: [198.51.100.7/24]
"""


def _apply(root: Path, stack: str) -> "subprocess.CompletedProcess[str]":
    conf = SAMPLES / "vpc.conf"
    return run_osconf(
        "apply", "--root", str(root), "--no-live", "--network-stack", stack, "--conf", str(conf)
    )


def _generate(root: Path) -> Dict[str, str]:
    netplan = require_tool("netplan", package="netplan.io")
    result = subprocess.run(
        [netplan, "generate", "--root-dir", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )
    assert result.returncode == 0, result.stderr
    emitted = root / "run/systemd/network"
    return {p.name: p.read_text() for p in sorted(emitted.iterdir())}


def test_netplan_keeps_the_vlan_and_the_other_nic(tmp_path: Path) -> None:
    before = make_root(tmp_path / "before", {"etc/netplan/50-cloud-init.yaml": CLOUD})
    # The image's own definition of eth0 is a networkd file of its own.
    assert "DHCP=ipv4" in _generate(before)["10-netplan-eth0.network"]

    root = make_root(tmp_path / "root", {"etc/netplan/50-cloud-init.yaml": CLOUD})
    result = _apply(root, "netplan")
    assert result.returncode == 0, result.stderr
    files = _generate(root)
    assert sorted(files) == [
        "10-netplan-eth5.network",
        "10-netplan-osconf-eth0.network",
        "10-netplan-vlan100.netdev",
        "10-netplan-vlan100.network",
    ]
    eth0 = files["10-netplan-osconf-eth0.network"]
    assert "Address=10.171.254.123/24" in eth0 and "VLAN=vlan100" in eth0
    assert "DHCP" not in eth0
    assert "Id=100" in files["10-netplan-vlan100.netdev"]
    assert "Address=198.51.100.7/24" in files["10-netplan-vlan100.network"]
    assert "DHCP=ipv4" in files["10-netplan-eth5.network"]
    # The image's file was replaced with a backup of its previous content.
    backup = root / "var/lib/osconf/backup/etc/netplan/50-cloud-init.yaml"
    backups = [p for p in backup.iterdir() if p.is_file()]
    assert backups and any(p.read_text() == CLOUD for p in backups)


def test_netplan_file_osconf_cannot_read_is_left_and_the_run_is_partial(tmp_path: Path) -> None:
    flow = "network: {version: 2, ethernets: {eth0: {dhcp4: true}, eth5: {dhcp4: true}}}\n"
    root = make_root(tmp_path / "root", {"etc/netplan/50-cloud-init.yaml": flow})
    result = _apply(root, "netplan")
    assert result.returncode == 5, result.stderr
    assert "/etc/netplan/50-cloud-init.yaml" in result.stderr
    assert (root / "etc/netplan/50-cloud-init.yaml").read_text() == flow
    # Everything else was applied: osconf's own file renders.
    assert "10-netplan-osconf-eth0.network" in _generate(root)


INTERFACES = """\
source /etc/network/interfaces.d/*

auto lo
iface lo inet loopback

auto eth0
iface eth0 inet dhcp
iface eth0 inet6 static
    address 2001:db8::5/64
    dad-attempts 0
"""

IFUP = """\
set -eu
mount --bind {root}/etc/network /etc/network
mount -t tmpfs tmpfs /run
mkdir -p /run/network
ifquery --list --allow=auto > {tmp}/auto.txt
ifup -a
"""


def _addresses(lab: Lab, family: str) -> List[str]:
    data = json.loads(lab.guest.ip("-j", family, "addr", "show", "dev", "eth0"))
    return sorted(
        f"{a['local']}/{a['prefixlen']}"
        for e in data
        for a in e["addr_info"]
        if a.get("scope") == "global"
    )


def test_ifupdown_inet6_stanza_still_comes_up(lab: Lab, tmp_path: Path) -> None:
    require_tool("ifup", package="ifupdown")
    root = make_root(tmp_path / "root", {"etc/network/interfaces": INTERFACES})
    result = _apply(root, "ifupdown")
    assert result.returncode == 0, result.stderr
    text = (root / "etc/network/interfaces").read_text()
    assert "# osconf: iface eth0 inet dhcp\n" in text and "\niface eth0 inet6 static\n" in text
    for hooks in ("if-pre-up.d", "if-up.d", "if-down.d", "if-post-down.d"):
        (root / "etc/network" / hooks).mkdir(exist_ok=True)
    lab.add_nic("eth0", "00:8c:fa:5e:14:23", "10.171.254.1/24")
    script = IFUP.format(root=root, tmp=tmp_path)
    run = lab.guest.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script], check=False, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr
    # Brought up once (osconf's `auto eth0`), with both families' stanzas.
    assert (tmp_path / "auto.txt").read_text().split().count("eth0") == 1
    assert _addresses(lab, "-4") == ["10.171.254.123/24"]
    assert _addresses(lab, "-6") == ["2001:db8::5/64"]


NETWORKD = """\
set -eu
{start}trap 'kill $networkd $dbus' EXIT
for i in $(seq 300); do
    if ip -4 addr show dev eth0 | grep -q 10.171.254.123 \\
        && ip -4 addr show dev eth7 | grep -q 192.0.2.9; then
        break
    fi
    sleep 0.1
done
sleep 1
"""


def test_networkd_glob_file_keeps_configuring_the_other_nic(lab: Lab, tmp_path: Path) -> None:
    glob = "[Match]\nName=eth*\n\n[Network]\nAddress=192.0.2.9/24\n"
    root = make_root(tmp_path / "root", {"etc/systemd/network/05-lan.network": glob})
    result = _apply(root, "networkd")
    assert result.returncode == 0, result.stderr
    edited = (root / "etc/systemd/network/05-lan.network").read_text()
    assert edited == glob.replace("Name=eth*\n", "Name=eth*\nName=!eth0\n")
    lab.add_nic("eth0", "00:8c:fa:5e:14:23", "10.171.254.1/24")
    lab.add_nic("eth7", "00:8c:fa:5e:14:77", "192.0.2.1/24")
    script = NETWORKD.format(start=start_networkd(tmp_path, root / "etc/systemd/network"))
    run = lab.guest.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script], check=False, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert lab.addresses("eth0") == {"10.171.254.123/24"}
    assert lab.addresses("eth7") == {"192.0.2.9/24"}
