"""Each stack's rendered files, judged by that stack's own software.

networkd and ifupdown run for real inside a guest namespace on veths that
carry the os.conf MACs, and must bring up exactly os.conf's addresses and
routes (no default route on eth0 in classic mode); netplan's generator must
accept its file and emit equivalent networkd files, which networkd then
runs the same way; libnm's keyfile reader must load the NetworkManager
profiles; the shell-variable files of ifcfg and SUSE are read by a clean
bash. Every sample address lives only inside the test's namespaces.
"""

import json
import os
import subprocess
from pathlib import Path
from typing import Dict, Set, Tuple

import pytest

from tests.conftest import SAMPLES, make_root, run_osconf
from tests.helpers.livenet import Lab
from tests.helpers.networkd import start_networkd
from tests.helpers.tools import require_tool

pytestmark = pytest.mark.integration

MACS = {"eth0": "00:8c:fa:5e:14:23", "eth1": "00:8c:fa:5e:14:24"}
GATEWAYS = {"eth0": "10.171.254.1/24", "eth1": "42.120.74.1/24"}
EXPECTED = {
    "vpc": {
        "addresses": {("eth0", "10.171.254.123/24")},
        "routes": {("default", "10.171.254.1", "eth0")},
    },
    "classic": {
        "addresses": {("eth0", "10.171.254.123/24"), ("eth1", "42.120.74.105/24")},
        "routes": {
            ("10.0.0.0/8", "10.171.254.1", "eth0"),
            ("172.16.0.0/12", "10.171.254.1", "eth0"),
            ("default", "42.120.74.1", "eth1"),
        },
    },
}

NETWORKD = """\
set -eu
{start}trap 'kill $networkd $dbus' EXIT
for i in $(seq 150); do
    if [ "$(ip -4 route show default | wc -l)" -ge 1 ] \\
        && [ "$(ip -4 route | wc -l)" -ge {routes} ]; then
        break
    fi
    sleep 0.1
done
sleep 0.5
"""

IFUPDOWN = """\
set -eu
mount --bind {root}/etc/network /etc/network
mount -t tmpfs tmpfs /run
mkdir -p /run/network
ifquery --list --allow=auto > {tmp}/ifquery.txt
ifup --no-act -a > {tmp}/noact.txt 2>&1
ifup -a
"""


def _wire(lab: Lab, case: str) -> None:
    for name in ("eth0", "eth1") if case == "classic" else ("eth0",):
        lab.add_nic(name, MACS[name], GATEWAYS[name])


def _state(lab: Lab) -> Tuple[Set[Tuple[str, str]], Set[Tuple[str, str, str]]]:
    data = json.loads(lab.guest.ip("-j", "-4", "addr"))
    addresses = {
        (e["ifname"], f"{a['local']}/{a['prefixlen']}")
        for e in data
        for a in e["addr_info"]
        if e["ifname"] != "lo"
    }
    return addresses, lab.gateway_routes()


def _apply(tmp_path: Path, case: str, stack: str) -> Path:
    root = make_root(tmp_path / "root")
    result = run_osconf(
        "apply",
        "--root",
        str(root),
        "--no-live",
        "--network-stack",
        stack,
        "--conf",
        str(SAMPLES / f"{case}.conf"),
    )
    assert result.returncode == 0, result.stderr
    return root


def _run_networkd(lab: Lab, tmp_path: Path, network: Path, case: str) -> None:
    script = NETWORKD.format(
        start=start_networkd(tmp_path, network),
        routes=len(EXPECTED[case]["routes"]) + 1,
    )
    result = lab.guest.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script], check=False, timeout=120
    )
    log = (tmp_path / "networkd.log").read_text() if (tmp_path / "networkd.log").exists() else ""
    assert result.returncode == 0, result.stdout + result.stderr + log


def _check(lab: Lab, case: str) -> None:
    addresses, routes = _state(lab)
    assert addresses == EXPECTED[case]["addresses"]
    assert routes == EXPECTED[case]["routes"]
    for name in ("eth0", "eth1") if case == "classic" else ("eth0",):
        assert lab.ping(GATEWAYS[name].split("/")[0]), f"gateway of {name} unreachable"


@pytest.mark.parametrize("case", ["vpc", "classic"])
def test_networkd_brings_up_exactly_os_conf(lab: Lab, tmp_path: Path, case: str) -> None:
    root = _apply(tmp_path, case, "networkd")
    # Kernel names that are not the os.conf names: networkd must match by MAC.
    _wire_renamed(lab, case)
    _run_networkd(lab, tmp_path, root / "etc/systemd/network", case)
    addresses, routes = _state(lab)
    rename = {"ens5": "eth0", "ens6": "eth1"}
    assert {(rename[d], a) for d, a in addresses} == EXPECTED[case]["addresses"]
    assert {(d, g, rename[i]) for d, g, i in routes} == EXPECTED[case]["routes"]


def _wire_renamed(lab: Lab, case: str) -> None:
    for kernel, name in (
        (("ens5", "eth0"), ("ens6", "eth1")) if case == "classic" else (("ens5", "eth0"),)
    ):
        lab.add_nic(kernel, MACS[name], GATEWAYS[name])


@pytest.mark.parametrize("case", ["vpc", "classic"])
def test_netplan_generates_what_networkd_brings_up(lab: Lab, tmp_path: Path, case: str) -> None:
    netplan = require_tool("netplan", package="netplan.io")
    root = _apply(tmp_path, case, "netplan")
    assert os.stat(root / "etc/netplan/0-osconf.yaml").st_mode & 0o777 == 0o600
    result = subprocess.run(
        [netplan, "generate", "--root-dir", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )
    assert result.returncode == 0, result.stderr
    emitted = root / "run/systemd/network"
    files = sorted(p.name for p in emitted.glob("*.network"))
    assert files == sorted(
        f"10-netplan-osconf-{n}.network"
        for n in (("eth0", "eth1") if case == "classic" else ("eth0",))
    )
    for name in ("eth0", "eth1") if case == "classic" else ("eth0",):
        path = emitted / f"10-netplan-osconf-{name}.network"
        text = path.read_text()
        assert f"MACAddress={MACS[name]}" in text
        # netplan 0.105+ matches the permanent MAC, which a real NIC has and a
        # veth has not: for the veth stand-ins, match the current one instead.
        path.write_text(text.replace("PermanentMACAddress=", "MACAddress="))
    _wire_renamed(lab, case)
    _run_networkd(lab, tmp_path, emitted, case)
    addresses, routes = _state(lab)
    rename = {"ens5": "eth0", "ens6": "eth1"}
    assert {(rename[d], a) for d, a in addresses} == EXPECTED[case]["addresses"]
    assert {(d, g, rename[i]) for d, g, i in routes} == EXPECTED[case]["routes"]


@pytest.mark.parametrize("case", ["vpc", "classic"])
def test_ifupdown_brings_up_exactly_os_conf(lab: Lab, tmp_path: Path, case: str) -> None:
    require_tool("ifup", package="ifupdown")
    root = _apply(tmp_path, case, "ifupdown")
    # A DHCP stanza for eth0 shipped by the image must not win.
    interfaces = (root / "etc/network/interfaces").read_text()
    assert "source /etc/network/interfaces.d/*" in interfaces
    # The hook folders an image's ifupdown package ships (empty: no host hooks).
    for hooks in ("if-pre-up.d", "if-up.d", "if-down.d", "if-post-down.d"):
        (root / "etc/network" / hooks).mkdir(exist_ok=True)
    _wire(lab, case)
    script = IFUPDOWN.format(root=root, tmp=tmp_path)
    result = lab.guest.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script], check=False, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    listed = set((tmp_path / "ifquery.txt").read_text().split())
    assert listed >= ({"eth0", "eth1"} if case == "classic" else {"eth0"})
    _check(lab, case)


def test_ifupdown_replaces_the_images_dhcp_stanza(tmp_path: Path) -> None:
    root = make_root(
        tmp_path / "root",
        {
            "etc/network/interfaces": "source /etc/network/interfaces.d/*\n\nauto lo\n"
            "iface lo inet loopback\n\nallow-hotplug eth0 eth9\niface eth0 inet dhcp\n"
            "    hostname x\n\niface eth9 inet dhcp\n",
        },
    )
    result = run_osconf(
        "apply",
        "--root",
        str(root),
        "--no-live",
        "--network-stack",
        "ifupdown",
        "--conf",
        str(SAMPLES / "vpc.conf"),
    )
    assert result.returncode == 0, result.stderr
    text = (root / "etc/network/interfaces").read_text()
    assert "# osconf: iface eth0 inet dhcp" in text and "# osconf:     hostname x" in text
    assert "allow-hotplug eth9\n" in text and "\niface eth9 inet dhcp" in text
    ifquery = require_tool("ifquery", package="ifupdown")
    listed = subprocess.run(
        [ifquery, "-i", str(root / "etc/network/interfaces"), "--list", "--allow=hotplug"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )
    assert listed.stdout.split() == ["eth9"]


READ_KEYFILE = """
import json, sys
import gi
gi.require_version("NM", "1.0")
from gi.repository import GLib, NM
out = {}
for path in sys.argv[1:]:
    kf = GLib.KeyFile()
    kf.load_from_file(path, GLib.KeyFileFlags.NONE)
    c = NM.keyfile_read(kf, "/", NM.KeyfileHandlerFlags.NONE, None, None)
    c.normalize()
    s4 = c.get_setting_ip4_config()
    out[c.get_id()] = {
        "uuid": c.get_uuid(),
        "mac": c.get_setting_wired().get_mac_address(),
        "method": s4.get_method(),
        "addresses": [f"{a.get_address()}/{a.get_prefix()}" for a in
                      (s4.get_address(i) for i in range(s4.get_num_addresses()))],
        "gateway": s4.get_gateway(),
        "routes": sorted(f"{r.get_dest()}/{r.get_prefix()} {r.get_next_hop()}" for r in
                         (s4.get_route(i) for i in range(s4.get_num_routes()))),
        "dns": [s4.get_dns(i) for i in range(s4.get_num_dns())],
        "never_default": s4.get_never_default(),
    }
print(json.dumps(out))
"""


@pytest.mark.parametrize("case", ["vpc", "classic"])
def test_networkmanager_keyfiles_load_in_libnm(tmp_path: Path, case: str) -> None:
    probe = subprocess.run(
        ["/usr/bin/python3", "-c", "import gi; gi.require_version('NM', '1.0')"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    if probe.returncode != 0:
        require_tool("libnm-gi-missing", package="python3-gi gir1.2-nm-1.0")
    root = _apply(tmp_path, case, "networkmanager")
    files = sorted((root / "etc/NetworkManager/system-connections").glob("*.nmconnection"))
    assert all(f.stat().st_mode & 0o777 == 0o600 for f in files)
    result = subprocess.run(
        ["/usr/bin/python3", "-c", READ_KEYFILE, *map(str, files)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )
    assert result.returncode == 0, result.stderr
    profiles = json.loads(result.stdout)
    eth0 = profiles["osconf-eth0"]
    assert eth0["mac"] == MACS["eth0"].upper() and eth0["method"] == "manual"
    assert eth0["addresses"] == ["10.171.254.123/24"] and eth0["uuid"]
    if case == "classic":
        eth1 = profiles["osconf-eth1"]
        assert eth0["gateway"] is None and eth0["never_default"]
        assert eth0["routes"] == ["10.0.0.0/8 10.171.254.1", "172.16.0.0/12 10.171.254.1"]
        assert eth1["gateway"] == "42.120.74.1" and eth1["dns"] == ["7.7.7.7", "8.8.8.8"]
    else:
        assert eth0["gateway"] == "10.171.254.1" and eth0["dns"] == ["7.7.7.7", "8.8.8.8"]


SHELL_VALUES = 'set -a; . "$1"; env -0'


def _shell_values(path: Path) -> Dict[str, str]:
    out = subprocess.run(
        ["env", "-i", "/bin/bash", "--norc", "--noprofile", "-c", SHELL_VALUES, "read", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        check=True,
    ).stdout
    values = dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    return {k: v for k, v in values.items() if k not in ("PWD", "SHLVL", "_", "OLDPWD")}


def test_ifcfg_values_as_initscripts_read_them(tmp_path: Path) -> None:
    root = _apply(tmp_path, "classic", "ifcfg")
    base = root / "etc/sysconfig/network-scripts"
    assert _shell_values(base / "ifcfg-eth0") == {
        "DEVICE": "eth0",
        "TYPE": "Ethernet",
        "ONBOOT": "yes",
        "BOOTPROTO": "none",
        "IPADDR": "10.171.254.123",
        "PREFIX": "24",
        "NETMASK": "255.255.255.0",
        "HWADDR": MACS["eth0"],
        "DEFROUTE": "no",
        "IPV6INIT": "no",
    }
    assert _shell_values(base / "ifcfg-eth1") == {
        "DEVICE": "eth1",
        "TYPE": "Ethernet",
        "ONBOOT": "yes",
        "BOOTPROTO": "none",
        "IPADDR": "42.120.74.105",
        "PREFIX": "24",
        "NETMASK": "255.255.255.0",
        "HWADDR": MACS["eth1"],
        "GATEWAY": "42.120.74.1",
        "DEFROUTE": "yes",
        "DNS1": "7.7.7.7",
        "DNS2": "8.8.8.8",
        "PEERDNS": "no",
        "IPV6INIT": "no",
    }
    lines = (base / "route-eth0").read_text().splitlines()
    routes = [line for line in lines if not line.startswith("#")]
    assert routes == [
        "10.0.0.0/8 via 10.171.254.1 dev eth0",
        "172.16.0.0/12 via 10.171.254.1 dev eth0",
    ]
    assert not (base / "route-eth1").exists()


def test_suse_values_as_wicked_reads_them(tmp_path: Path) -> None:
    root = _apply(tmp_path, "classic", "suse")
    base = root / "etc/sysconfig/network"
    assert _shell_values(base / "ifcfg-eth0") == {
        "STARTMODE": "auto",
        "BOOTPROTO": "static",
        "IPADDR": "10.171.254.123/24",
    }
    assert _shell_values(base / "config")["NETCONFIG_DNS_STATIC_SERVERS"] == "7.7.7.7 8.8.8.8"
    routes = (base / "ifroute-eth1").read_text().splitlines()[1:]
    assert routes == ["default 42.120.74.1 - eth1"]


def test_classic_to_vpc_leaves_no_stale_file(tmp_path: Path) -> None:
    root = _apply(tmp_path, "classic", "networkd")
    result = run_osconf(
        "apply",
        "--root",
        str(root),
        "--no-live",
        "--network-stack",
        "networkd",
        "--conf",
        str(SAMPLES / "vpc.conf"),
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (root / "etc/systemd/network").iterdir()) == [
        "10-osconf-eth0.network"
    ]
    assert (
        "Gateway=10.171.254.1" in (root / "etc/systemd/network/10-osconf-eth0.network").read_text()
    )
