"""Conflict handling edits only the definition of osconf's NICs (issue 13, item 5).

A file that defines other things too (a VLAN, another NIC, an IPv6 stanza)
keeps them; a file is removed only when osconf's NICs are all it defines;
a file osconf cannot read with certainty is left alone and the run says so
(a failed part: os.conf is kept, the outcome is partial).
"""

import json
import subprocess
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from osconf.actions import WriteFile
from osconf.plan import Options, make_plan
from osconf.system import System
from osconf.validate import load
from tests.conftest import SAMPLES, make_root
from tests.helpers.tools import IN_CI

CLASSIC, _ = load((SAMPLES / "classic.conf").read_bytes())  # eth0 ...:23, eth1 ...:24
MAC0 = "00:8c:fa:5e:14:23"
FILE = "/etc/netplan/50-cloud-init.yaml"


def _plan(tmp_path: Path, stack: str, files: Dict[str, str]) -> Tuple[List[str], Dict[str, str]]:
    root = make_root(tmp_path / "root", files)
    plan = make_plan(CLASSIC, System(root), Options(network_stack=stack))
    writes = {a.path: a.content for a in plan.actions if type(a).__name__ == "WriteFile"}
    return list(plan.describe()), writes


def _removed(described: List[str], path: str) -> bool:
    return any(d.startswith(f"remove {path} ") for d in described)


def _unresolved(described: List[str], path: str) -> bool:
    return any(path in d and "cannot plan" in d for d in described)


# ---------------------------------------------------------------- netplan

VLAN = """\
# written by cloud-init
network:
  version: 2
  ethernets:
    eth0:
      match:
        macaddress: "00:8C:FA:5E:14:23"
      set-name: eth0
      dhcp4: true
    eth5:
      dhcp4: true
      addresses: [192.0.2.5/24]  # another NIC
  vlans:
    vlan100:
      id: 100
      link: eth0
      addresses:
        - 198.51.100.7/24
"""


def test_netplan_file_with_a_vlan_keeps_the_vlan_and_the_other_nic(tmp_path: Path) -> None:
    described, writes = _plan(tmp_path, "netplan", {FILE[1:]: VLAN})
    assert not _removed(described, FILE)
    edited = writes[FILE]
    assert "    eth0:" not in edited and "macaddress" not in edited
    assert (
        "    eth5:\n      dhcp4: true\n      addresses: [192.0.2.5/24]  # another NIC\n" in edited
    )
    # The VLAN now rides on osconf's definition of the same NIC.
    assert "    vlan100:\n      id: 100\n      link: osconf-eth0\n" in edited
    assert edited.startswith("# written by cloud-init\nnetwork:\n  version: 2\n")


def test_netplan_nic_alone_in_its_file_removes_the_file(tmp_path: Path) -> None:
    text = "network:\n  version: 2\n  ethernets:\n    eth1:\n      dhcp4: true\n"
    described, writes = _plan(tmp_path, "netplan", {FILE[1:]: text})
    assert _removed(described, FILE) and FILE not in writes


@pytest.mark.parametrize(
    "body",
    [
        "    eth10:\n      dhcp4: true\n",
        "    lan:\n      match:\n        name: eth10\n      dhcp4: true\n",
        "    lan:\n      match: {name: eth10}\n      dhcp4: true\n",
        "    lan:\n      match:\n        macaddress: 00:8c:fa:5e:14:99\n        name: eth0\n",
        "    eth01:\n      set-name: eth10\n",
    ],
)
def test_netplan_other_interfaces_are_no_conflict(tmp_path: Path, body: str) -> None:
    text = "network:\n  ethernets:\n" + body
    described, writes = _plan(tmp_path, "netplan", {FILE[1:]: text})
    assert not [d for d in described if FILE in d]


@pytest.mark.parametrize(
    "body",
    [
        "    lan:\n      match: {name: eth1}\n      dhcp4: true\n",
        '    lan:\n      match:\n        name: "eth1"\n',
        "    lan:\n      match:\n        macaddress: 00:8C:FA:5E:14:23\n",
        "    lan:\n      match:\n        macaddress: 00:8c:fa:5e:14:23\n      set-name: eth0\n",
    ],
)
def test_netplan_definitions_by_match_are_conflicts(tmp_path: Path, body: str) -> None:
    text = "network:\n  ethernets:\n" + body
    described, _ = _plan(tmp_path, "netplan", {FILE[1:]: text})
    assert _removed(described, FILE)


def test_netplan_flow_style_with_another_nic_is_left_and_reported(tmp_path: Path) -> None:
    text = "network: {version: 2, ethernets: {eth0: {dhcp4: true}, eth5: {dhcp4: true}}}\n"
    described, writes = _plan(tmp_path, "netplan", {FILE[1:]: text})
    assert not _removed(described, FILE) and FILE not in writes
    assert _unresolved(described, FILE)


def test_netplan_flow_style_of_osconfs_nic_alone_is_removed(tmp_path: Path) -> None:
    text = "network: {version: 2, ethernets: {eth0: {dhcp4: true}}}\n"
    described, _ = _plan(tmp_path, "netplan", {FILE[1:]: text})
    assert _removed(described, FILE)


@pytest.mark.parametrize(
    "text",
    [
        # anchors and aliases
        "network:\n  ethernets:\n    eth0: &common\n      dhcp4: true\n    eth5: *common\n",
        # a tag
        "network:\n  ethernets:\n    eth0: !!map\n      dhcp4: true\n    eth5: {}\n",
        # a block scalar
        "network:\n  ethernets:\n    eth0:\n      dhcp4: true\n    eth5:\n      x: |\n        y\n",
        # a flow collection over several lines
        "network:\n  ethernets:\n    eth0: {dhcp4: true,\n      dhcp6: true}\n    eth5: {}\n",
        # a glob that also matches other NICs
        "network:\n  ethernets:\n    all:\n      match:\n        name: eth*\n      dhcp4: true\n",
        # osconf's NIC enslaved to a bond
        "network:\n  ethernets:\n    eth0: {}\n  bonds:\n    bond0:\n      interfaces: [eth0]\n",
    ],
)
def test_netplan_what_cannot_be_read_with_certainty_is_left_and_reported(
    tmp_path: Path, text: str
) -> None:
    described, writes = _plan(tmp_path, "netplan", {FILE[1:]: text})
    assert not _removed(described, FILE) and FILE not in writes
    assert _unresolved(described, FILE)


def test_netplan_vlan_in_another_file_follows_the_edit(tmp_path: Path) -> None:
    vlan = "network:\n  vlans:\n    vlan7:\n      id: 7\n      link: eth0\n"
    described, writes = _plan(tmp_path, "netplan", {
        FILE[1:]: "network:\n  ethernets:\n    eth0:\n      dhcp4: true\n",
        "etc/netplan/60-vlan.yaml": vlan,
    })  # fmt: skip
    assert _removed(described, FILE)
    assert writes["/etc/netplan/60-vlan.yaml"] == vlan.replace("link: eth0", "link: osconf-eth0")


def test_netplan_bond_of_other_nics_is_kept(tmp_path: Path) -> None:
    text = (
        "network:\n  ethernets:\n    eth0:\n      dhcp4: true\n"
        "    eth5: {}\n    eth6: {}\n"
        "  bonds:\n    bond0:\n      interfaces:\n        - eth5\n        - eth6\n"
        "      parameters: {mode: active-backup}\n"
    )
    described, writes = _plan(tmp_path, "netplan", {FILE[1:]: text})
    assert writes[FILE] == text.replace("    eth0:\n      dhcp4: true\n", "")


def test_netplan_emptied_section_goes_with_its_last_definition(tmp_path: Path) -> None:
    text = (
        "network:\n  version: 2\n  ethernets:\n    eth0:\n      dhcp4: true\n"
        "  bridges:\n    br0:\n      interfaces: []\n"
    )
    described, writes = _plan(tmp_path, "netplan", {FILE[1:]: text})
    assert writes[FILE] == "network:\n  version: 2\n  bridges:\n    br0:\n      interfaces: []\n"


# ---------------------------------------------------------------- ifupdown

INTERFACES = """\
auto lo
iface lo inet loopback

auto eth0 eth10
iface eth0 inet dhcp
    hostname x
iface eth0 inet6 static
    address 2001:db8::5/64
    accept_ra 0

iface eth10 inet dhcp
auto eth0:1
iface eth0:1 inet static
    address 192.0.2.9/24
auto eth0.100
iface eth0.100 inet static
    address 198.51.100.4/24
source /etc/network/interfaces.d/*
"""


def test_ifupdown_keeps_inet6_and_other_interfaces(tmp_path: Path) -> None:
    _, writes = _plan(tmp_path, "ifupdown", {"etc/network/interfaces": INTERFACES})
    assert writes["/etc/network/interfaces"] == INTERFACES.replace(
        "auto eth0 eth10\niface eth0 inet dhcp\n    hostname x\n",
        "# osconf: auto eth0 eth10\nauto eth10\n"
        "# osconf: iface eth0 inet dhcp\n# osconf:     hostname x\n",
    )


# ---------------------------------------------------------------- ifcfg, SUSE

OTHERS = {
    "ifcfg-eth10": "DEVICE=eth10\nBOOTPROTO=dhcp\n",
    "ifcfg-eth0:1": "DEVICE=eth0:1\nIPADDR=192.0.2.9\n",
    "ifcfg-eth0.100": "DEVICE=eth0.100\nVLAN=yes\nPHYSDEV=eth0\n",
    "ifcfg-eth01": "BOOTPROTO=dhcp\n",
    "ifcfg-eth0.bak": "DEVICE=eth0\nBOOTPROTO=dhcp\n",  # initscripts ignores *.bak
}


@pytest.mark.parametrize("stack,folder", [
    ("ifcfg", "etc/sysconfig/network-scripts"), ("suse", "etc/sysconfig/network"),
])  # fmt: skip
def test_ifcfg_files_of_other_interfaces_are_untouched(
    tmp_path: Path, stack: str, folder: str
) -> None:
    files = {f"{folder}/{name}": text for name, text in OTHERS.items()}
    described, writes = _plan(tmp_path, stack, files)
    for name in OTHERS:
        assert not [d for d in described if f"/{folder}/{name} " in d + " "], name


@pytest.mark.parametrize(
    "name,text,conflict",
    [
        ("ifcfg-System_eth0", "DEVICE=eth0\nBOOTPROTO=dhcp\n", True),
        ("ifcfg-lan", 'HWADDR="00:8C:FA:5E:14:23"\nBOOTPROTO=dhcp\n', True),
        ("ifcfg-lan", "HWADDR=00-8c-fa-5e-14-23\n", True),
        ("ifcfg-lan", "DEVICE=eth0.100\nPHYSDEV=eth0\n", False),
    ],
)
def test_ifcfg_other_definitions_of_the_nic_go(
    tmp_path: Path, name: str, text: str, conflict: Optional[bool]
) -> None:
    path = f"/etc/sysconfig/network-scripts/{name}"
    described, _ = _plan(tmp_path, "ifcfg", {path[1:]: text})
    assert _removed(described, path) == conflict


def test_netplan_vlan_read_before_osconfs_file_cannot_follow(tmp_path: Path) -> None:
    # netplan resolves `link:` only to interfaces of the same or earlier files.
    text = (
        "network:\n  ethernets:\n    eth0: {}\n  vlans:\n    v7:\n      id: 7\n      link: eth0\n"
    )
    described, writes = _plan(tmp_path, "netplan", {"etc/netplan/0-a.yaml": text})
    assert _unresolved(described, "/etc/netplan/0-a.yaml")
    assert "/etc/netplan/0-a.yaml" not in writes


def test_netplan_osconfs_file_of_before_is_replaced(tmp_path: Path) -> None:
    from osconf.render.base import header

    old = header() + "network:\n  ethernets:\n    osconf-eth0: {}\n"
    described, writes = _plan(tmp_path, "netplan", {
        "etc/netplan/90-osconf.yaml": old, "etc/netplan/91-mine.yaml": "network: {}\n",
    })  # fmt: skip
    assert _removed(described, "/etc/netplan/90-osconf.yaml")
    assert "/etc/netplan/0-osconf.yaml" in writes
    assert not [d for d in described if "91-mine" in d]


# ---------------------------------------------------------------- networkd

NETWORKD = "etc/systemd/network/05-dhcp.network"


@pytest.mark.parametrize(
    "match,edited",
    [
        # Taken by globs that take other NICs too: refuse osconf's NIC only.
        ("Name=eth* en*\n", "Name=eth* en*\nName=!eth0\nName=!eth1\n"),
        ("Name=!eth9\n", "Name=!eth9\nName=!eth0\nName=!eth1\n"),
        ("MACAddress=00:8C:FA:5E:14:23 aa:bb:cc:dd:ee:ff\n", "MACAddress=aa:bb:cc:dd:ee:ff\n"),
        # osconf's NICs are all it takes: removed.
        ("MACAddress=00:8c:fa:5e:14:23\n", None),
        ("Name=eth1 eth0\n", None),
    ],
)
def test_networkd_file_taking_other_nics_too_is_edited(
    tmp_path: Path, match: str, edited: Optional[str]
) -> None:
    text = f"[Match]\n{match}\n[Network]\nDHCP=yes\n"
    described, writes = _plan(tmp_path, "networkd", {NETWORKD: text})
    if edited is None:
        assert _removed(described, f"/{NETWORKD}")
    else:
        assert writes[f"/{NETWORKD}"] == f"[Match]\n{edited}\n[Network]\nDHCP=yes\n"


def test_networkd_conflict_of_a_nic_without_mac_is_found(tmp_path: Path) -> None:
    conf, _ = load((SAMPLES / "vpc.conf").read_bytes().replace(b"eth0_mac_addr=", b"#"))
    root = make_root(tmp_path / "root", {NETWORKD: "[Match]\nName=eth0\n[Network]\nDHCP=yes\n"})
    plan = make_plan(conf, System(root), Options(network_stack="networkd"))
    assert _removed(list(plan.describe()), f"/{NETWORKD}")


@pytest.mark.parametrize("line", ["interface-name=eth10", "mac-address=00:8C:FA:5E:14:99"])
def test_networkmanager_profile_of_another_nic_stays(tmp_path: Path, line: str) -> None:
    folder = "etc/NetworkManager/system-connections"
    described, _ = _plan(tmp_path, "networkmanager", {f"{folder}/a.nmconnection": line + "\n"})
    assert not [d for d in described if "a.nmconnection" in d]


# ---------------------------------------------------------------- any input

_PIECES = [
    "network:", "ethernets:", "vlans:", "bonds:", "eth0:", "eth5:", "match:", "link: eth0",
    "macaddress: 00:8c:fa:5e:14:23", "name: eth*", "interfaces: [eth0, eth5]", "- ", "  ",
    "    ", "{", "}", "[", "]", ",", ":", "'", '"', "#", "&a", "*a", "!!str", "|", "\t", "\\",
    "dhcp4: true", "x", "\n", "\n  ", "\n    ", "---", "?", "set-name: eth0", "a: 'it''s'",
    'k: "q\\"x"', "k: [a, {b: c}]", "k: {a: [1, 2]}", "2001:db8::1/64", " # c",
]  # fmt: skip

# PyYAML (Debian's python3-yaml, which netplan.io depends on) is the oracle:
# whatever osconf's reader accepts, a real YAML parser must read the same.
_ORACLE = """
import json, sys, yaml
for line in sys.stdin:
    try:
        out = {"ok": yaml.safe_load(json.loads(line))}
    except yaml.YAMLError as err:
        out = {"error": str(err)}
    print(json.dumps(out, default=str), flush=True)
"""


@pytest.fixture(scope="module")
def pyyaml() -> Iterator["subprocess.Popen[str]"]:
    # Debian's interpreter, whatever runs the tests (a pyenv Python has no yaml).
    found = subprocess.run(["/usr/bin/python3", "-c", "import yaml"], stderr=subprocess.PIPE)
    if found.returncode != 0:
        message = "/usr/bin/python3 cannot import yaml (Debian package python3-yaml)"
        if IN_CI:
            pytest.fail(message + "; tools/test.sh should have installed it")
        pytest.skip(message)
    oracle = subprocess.Popen(
        ["/usr/bin/python3", "-c", _ORACLE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        universal_newlines=True,
    )
    yield oracle
    assert oracle.stdin is not None
    oracle.stdin.close()
    oracle.wait(timeout=60)


def _plain(value: object) -> object:
    from osconf.render.yamlsubset import Entry

    if isinstance(value, Entry):
        return _plain(value.value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _same(ours: object, theirs: object) -> bool:
    """Equal, where YAML 1.1 typed a scalar osconf keeps as text (true, 2, ~)."""
    if isinstance(ours, dict):
        return (
            isinstance(theirs, dict)
            and sorted(map(str, ours)) == sorted(map(str, theirs))
            and all(_same(ours[k], v) for k, v in ((str(k), v) for k, v in theirs.items()))
        )
    if isinstance(ours, list):
        return (
            isinstance(theirs, list)
            and len(ours) == len(theirs)
            and all(_same(a, b) for a, b in zip(ours, theirs))
        )
    if isinstance(theirs, str) or ours is None:
        return ours == theirs or (ours is None and theirs is None)
    return not isinstance(theirs, (dict, list))


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_netplan_reader_agrees_with_pyyaml_and_never_fails(
    pyyaml: "subprocess.Popen[str]", text: str
) -> None:
    from osconf.render.base import Target
    from osconf.render.netplan_conflicts import resolve
    from osconf.render.yamlsubset import Unsure, parse

    try:
        tree = parse(text)
    except Unsure:
        tree = None
    if tree is not None:
        assert pyyaml.stdin is not None and pyyaml.stdout is not None
        pyyaml.stdin.write(json.dumps(text) + "\n")
        pyyaml.stdin.flush()
        answer = json.loads(pyyaml.stdout.readline())
        assert "ok" in answer, answer
        assert _same(_plain(tree), answer["ok"] if answer["ok"] is not None else {}), answer
    target = Target(CLASSIC, {})
    for action in resolve(target, {"/etc/netplan/50-a.yaml": text}, "0-osconf.yaml"):
        edited = getattr(action, "content", None)
        if edited is not None:
            # What osconf writes reads back, and no longer defines eth0 or eth1.
            again = resolve(target, {"/etc/netplan/50-a.yaml": edited}, "0-osconf.yaml")
            assert not [a for a in again if type(a).__name__ == "RemoveFile"]
            assert not [a for a in again if "take out" in a.describe()]


@pytest.mark.parametrize("name", ["ifcfg-eth0", "ifcfg-System_eth0"])
def test_ifcfg_ipv6_settings_of_the_nic_go_on_in_osconfs_file(tmp_path: Path, name: str) -> None:
    folder = "etc/sysconfig/network-scripts"
    image = (
        "DEVICE=eth0\nBOOTPROTO=dhcp\nIPV6INIT=yes\nIPV6ADDR='2001:db8::5/64'\n"
        "IPV6_DEFAULTGW=2001:db8::1\nDHCPV6C=no\n"
    )
    described, writes = _plan(tmp_path, "ifcfg", {f"{folder}/{name}": image})
    written = writes[f"/{folder}/ifcfg-eth0"]
    assert "BOOTPROTO=none\n" in written and "IPADDR=10.171.254.123\n" in written
    assert "dhcp" not in written and "IPV6INIT=no" not in written
    assert written.endswith(
        "IPV6INIT=yes\nIPV6ADDR='2001:db8::5/64'\nIPV6_DEFAULTGW=2001:db8::1\nDHCPV6C=no\n"
    )
    assert _removed(described, f"/{folder}/{name}") == (name != "ifcfg-eth0")
    # What initscripts does with it: a clean shell sources it.
    shell = "set -eu; . /dev/stdin; echo $BOOTPROTO $IPADDR $IPV6INIT $IPV6ADDR"
    read = subprocess.run(
        ["env", "-i", "bash", "-c", shell],
        input=written,
        stdout=subprocess.PIPE,
        universal_newlines=True,
        check=True,
    )
    assert read.stdout.split() == ["none", "10.171.254.123", "yes", "2001:db8::5/64"]
    # Applied again over its own file, osconf writes the same.
    root = tmp_path / "root"
    (root / folder / "ifcfg-eth0").write_text(written)
    if name != "ifcfg-eth0":
        (root / folder / name).unlink()
    again = make_plan(CLASSIC, System(root), Options(network_stack="ifcfg"))
    contents = {a.path: a.content for a in again.actions if type(a).__name__ == "WriteFile"}
    assert contents[f"/{folder}/ifcfg-eth0"] == written


_MACS = {"eth0": MAC0, "eth1": "00:8c:fa:5e:14:24"}


@st.composite
def _netplan_files(draw: Callable[..., Any]) -> Tuple[dict, Dict[str, str]]:
    """A netplan document as data, and the NIC each definition is (by construction)."""
    ids = draw(st.lists(st.sampled_from(["eth0", "eth1", "eth5", "eth10", "lan", "wan"]),
                        min_size=1, max_size=4, unique=True))  # fmt: skip
    ethernets: dict = {}
    nic_of: Dict[str, str] = {}
    for ident in ids:
        body: dict = {}
        how = draw(st.sampled_from(["id", "mac", "name", "other-mac"]))
        if how == "id":
            nic_of[ident] = ident
        elif how == "mac":
            nic = draw(st.sampled_from(["eth0", "eth1"]))
            mac = _MACS[nic]
            body["match"] = {"macaddress": draw(st.sampled_from([mac, mac.upper()]))}
            nic_of[ident] = nic
        elif how == "name":
            name = draw(st.sampled_from(["eth0", "eth1", "eth7"]))
            body["match"] = {"name": name}
            nic_of[ident] = name
        else:
            body["match"] = {"macaddress": "00:8c:fa:5e:14:99"}
            nic_of[ident] = ""
        if draw(st.booleans()):
            body["dhcp4"] = "true"
        if draw(st.booleans()):
            body["addresses"] = ["192.0.2.5/24"]
        ethernets[ident] = body
    network: dict = {"version": "2", "ethernets": ethernets}
    others = [i for i in ids if nic_of[i] not in ("eth0", "eth1")]
    if draw(st.booleans()):
        link = draw(st.sampled_from(ids))
        network["vlans"] = {"vlan9": {"id": "9", "link": link}}
    if others and draw(st.booleans()):
        network["bonds"] = {"bond0": {"interfaces": others[:2]}}
    return {"network": network}, {i: n for i, n in nic_of.items() if n in ("eth0", "eth1")}


def _block(value: object, indent: int, flow: bool) -> List[str]:
    pad = " " * indent
    lines: List[str] = []
    assert isinstance(value, dict)
    for key, item in value.items():
        if isinstance(item, dict) and item:
            lines.append(f"{pad}{key}:  # {key}")
            lines += _block(item, indent + 2, flow)
        elif isinstance(item, dict):
            lines.append(f"{pad}{key}: {{}}")
        elif isinstance(item, list) and flow:
            lines.append(f"{pad}{key}: [{', '.join(item)}]")
        elif isinstance(item, list):
            lines += [f"{pad}{key}:"] + [f"{pad}  - {v}" for v in item]
        else:
            lines.append(f"{pad}{key}: {item}")
    return lines


@settings(max_examples=300, deadline=None)
@given(_netplan_files(), st.booleans())
def test_netplan_edit_takes_out_exactly_osconfs_nics(
    pyyaml: "subprocess.Popen[str]", case: Tuple[dict, Dict[str, str]], flow: bool
) -> None:
    from osconf.render.base import Target
    from osconf.render.netplan_conflicts import resolve

    document, ours = case
    text = "\n".join(_block(document, 0, flow)) + "\n"
    actions = resolve(Target(CLASSIC, {}), {"/etc/netplan/50-a.yaml": text}, "0-osconf.yaml")
    network = document["network"]
    bonded = any(i in ours for b in network.get("bonds", {}).values() for i in b["interfaces"])
    linked = network.get("vlans", {}).get("vlan9", {}).get("link")
    if not ours and linked not in ours:
        assert actions == []
        return
    assert len(actions) == 1
    kind = type(actions[0]).__name__
    if bonded:
        assert kind == "CannotPlan"
        return
    if set(network) == {"version", "ethernets"} and set(network["ethernets"]) <= set(ours):
        assert kind == "RemoveFile"
        return
    written = actions[0]
    assert isinstance(written, WriteFile)
    expected = json.loads(json.dumps(document))
    for ident in ours:
        del expected["network"]["ethernets"][ident]
    if not expected["network"]["ethernets"]:
        del expected["network"]["ethernets"]
    if linked in ours:
        expected["network"]["vlans"]["vlan9"]["link"] = f"osconf-{ours[linked]}"
    assert pyyaml.stdin is not None and pyyaml.stdout is not None
    pyyaml.stdin.write(json.dumps(written.content) + "\n")
    pyyaml.stdin.flush()
    edited = json.loads(pyyaml.stdout.readline())["ok"]
    as_text = json.loads(json.dumps(edited, default=str).replace("true", '"true"'))
    assert _same(expected, as_text) or as_text == expected, (expected, edited)


@pytest.mark.parametrize("renamed,outcome", [(True, "removed"), (False, "unresolved")])
def test_netplan_mac_match_when_os_conf_gives_no_mac(
    tmp_path: Path, renamed: bool, outcome: str
) -> None:
    conf, _ = load((SAMPLES / "vpc.conf").read_bytes().replace(b"eth0_mac_addr=", b"#"))
    text = "network:\n  ethernets:\n    nic:\n      match:\n        macaddress: 00:11:22:33:44:55\n"
    text += "      set-name: eth0\n" if renamed else ""
    root = make_root(tmp_path / "root", {FILE[1:]: text})
    described = list(make_plan(conf, System(root), Options(network_stack="netplan")).describe())
    assert _removed(described, FILE) == (outcome == "removed")
    assert _unresolved(described, FILE) == (outcome == "unresolved")
