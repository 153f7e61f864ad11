"""Real instances, as a matrix: every init system, network stack and disk layout.

Each case is a Debian 12 guest booted under QEMU twice: osconf comes from
its .deb installed into the image by the image's own apt (tests/e2e/guest.py),
os.conf sits on partition 1. Everything is checked from the host as an
operator would: SSH as root with the os.conf password on the forwarded port,
then the boot's health (`systemctl is-system-running` says `running` and no
unit failed; SysV: the init scripts' own status), host name, addresses,
routes, name servers and the stack's own view of the NIC; os.conf gone from
partition 1 afterwards. The second boot changes address (in the subnet),
password and host name: the old address is gone, the old password rejected,
the new one works. Serial console logs of failed boots are kept in
tests/e2e/artifacts/. One case boots a third time with no os.conf (the
common boot). Each systemd boot adds a row to the boot-cost table printed
at the end of the run (tests/e2e/bootcost.py; README "Cost in the boot"):
osconf.service against a probe unit running the bare interpreter at the
same point of the boot.
"""

import base64
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Set, Tuple

import paramiko
import pytest

from tests.conftest import SAMPLES
from tests.e2e import bootcost
from tests.e2e.guest import VARIANTS, Disk, kernel_and_initrd, with_osconf
from tests.e2e.vm import Guest, Nic
from tests.helpers.tools import require_root, require_tool

pytestmark = pytest.mark.e2e

ETH0 = Nic("00:8c:fa:5e:14:23", "10.171.254.0/24", "10.171.254.1")
ETH1 = Nic("00:8c:fa:5e:14:24", "42.120.74.0/24", "42.120.74.1")
FIRST, SECOND = "E2e-First-Pw-41c7", "E2e-Second-Pw-93b2"
NAME1, NAME2 = "iZ23r29djmjZ", "iZchanged2"
ADDRESS1, ADDRESS2 = "10.171.254.123", "10.171.254.124"
NIC_TIMEOUT = 30  # osconf's default --nic-timeout
HOSTILE = (
    b"hostname=$(touch /tmp/pwned-hostname)\n"
    b"password=`touch /tmp/pwned-password`\n"
    b"eth0_ip_addr=10.171.254.123; touch /tmp/pwned-address\n"
    b"eth0_mac_addr=00:8c:fa:5e:14:23\n"
    b"eth0_netmask=255.255.255.0\n"
    b'eth0_route="0.0.0.0/0 10.171.254.1 && touch /tmp/pwned-route"\n'
    b"dns_nameserver=7.7.7.7\x00\n"
    b"../../etc/shadow=root::0:0\n"
)


def _b64(password: str) -> str:
    return base64.b64encode(password.encode() + b"\n").decode()


def _conf(sample: str, password: str, name: str = NAME1, address: str = ADDRESS1) -> bytes:
    text = (SAMPLES / sample).read_text().replace("cXdlcjEyMzQK", _b64(password))
    return text.replace(NAME1, name).replace(ADDRESS1, address).encode()


@pytest.fixture(scope="module")
def tools() -> None:
    require_root()
    needed = (("qemu-system-x86_64", "qemu-system-x86"), ("mmdebstrap", None),
              ("debugfs", "e2fsprogs"), ("sfdisk", "fdisk"), ("mcopy", "mtools"),
              ("dpkg-buildpackage", "dpkg-dev"))  # fmt: skip
    for tool, package in needed:
        require_tool(tool, package=package)


# -- checks from outside -------------------------------------------------------------


def _link_of(guest: Guest, password: str, mac: str) -> str:
    links = json.loads(guest.run(password, "ip -j link"))
    return next(link["ifname"] for link in links if link.get("address") == mac)


def _addresses(guest: Guest, password: str) -> Set[Tuple[str, str]]:
    data = json.loads(guest.run(password, "ip -j -4 addr"))
    return {(e["ifname"], f"{a['local']}/{a['prefixlen']}") for e in data
            for a in e["addr_info"] if e["ifname"] != "lo"}  # fmt: skip


def _routes(guest: Guest, password: str) -> Set[Tuple[str, str, str]]:
    data = json.loads(guest.run(password, "ip -j -4 route"))
    return {(r["dst"], r["gateway"], r["dev"]) for r in data if "gateway" in r}


def _healthy(guest: Guest, password: str, init: str) -> None:
    """The boot finished cleanly: nothing failed, osconf included."""
    if init == "sysvinit":
        # The scripts report on the console (lsb-base: "... failed!"); ssh and
        # osconf have a status action, networking's state is ifupdown's own.
        console = guest.console.read_text(errors="replace")
        bad = [
            line
            for line in console.splitlines()
            if re.search(r"failed!|\[FAIL|failed \(exit", line)
        ]
        assert not bad, bad
        # The script ran, in rcS before networking (its failure: "failed (exit N)").
        assert console.index("Applying os.conf:") < console.index("Configuring network interfaces")
        for script in ("osconf", "ssh"):
            code, out, err = guest.status(password, f"/etc/init.d/{script} status")
            assert code == 0, (script, out, err)
        return
    code, state, _ = guest.status(password, "systemctl is-system-running --wait")
    failed = guest.run(password, "systemctl --failed --no-legend --plain", check=False)
    journal = guest.run(password, "journalctl -b -p warning -o short --no-pager | tail -40")
    assert state.strip() == "running", f"{state.strip()}; failed: {failed}\n{journal}"
    assert failed.strip() == ""


def _journal_is_clean(guest: Guest, password: str, *secrets: str) -> str:
    journal = guest.run(password, "journalctl -b -o cat -t osconf --no-pager", check=False)
    everything = guest.run(password, "journalctl -b -o cat --no-pager", check=False)
    everything += guest.run(password, "cat /var/log/syslog /var/log/boot 2>/dev/null", check=False)
    for secret in secrets:
        for form in (secret, _b64(secret), _b64(secret).rstrip("=")):
            assert form not in everything, "the password reached the logs"
    return journal


def _cost(guest: Guest, password: str, case: str, boot: str, init: str, status: int = 0) -> None:
    """A row of the boot-cost table (tests/e2e/bootcost.py); SysV has no units to time."""
    if init == "sysvinit":
        return
    bootcost.measure(guest, password, case, boot, status)
    print(guest.run(password, "journalctl -b -o short-monotonic --no-pager -u osconf.service"))


# -- the matrix ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    variant: str
    layout: str
    sample: str  # vpc.conf or classic.conf
    nics: Tuple[Nic, ...] = (ETH0,)
    # The stack's own view, checked after each boot: (guest, password, NIC name).
    stack_check: Optional[Callable[[Guest, str, str], None]] = None
    # A third boot with no os.conf (most boots of an instance): what the
    # boot-cost goal is about. One case has it, to keep the tier's duration.
    idle_boot: bool = False


def _networkd_configured(guest: Guest, password: str, nic: str) -> None:
    out = guest.run(password, f"networkctl list --no-legend --no-pager {nic}")
    assert "configured" in out.split(), out


def _networkmanager_active(guest: Guest, password: str, nic: str) -> None:
    assert guest.run(password, "systemctl is-active NetworkManager").strip() == "active"
    out = guest.run(password, "nmcli -t -f NAME,DEVICE,STATE connection show --active")
    assert f"osconf-eth0:{nic}:activated" in out.splitlines(), out


def _ifupdown_up(guest: Guest, password: str, nic: str) -> None:
    state = guest.run(password, "ifquery --state")
    assert f"{nic}={nic}" in state.split(), state
    assert f"iface {nic} inet static" in guest.run(password, "cat /etc/network/interfaces.d/osconf")


CASES = [
    Case("networkd-single-partition", "networkd", "root", "vpc.conf", (ETH0,),
         _networkd_configured, idle_boot=True),
    Case("ifupdown-boot-partition-classic", "ifupdown", "boot", "classic.conf", (ETH0, ETH1),
         _ifupdown_up),
    Case("networkmanager", "networkmanager", "separate", "vpc.conf", (ETH0,),
         _networkmanager_active),
    Case("netplan-networkd", "netplan", "separate", "vpc.conf", (ETH0,), _networkd_configured),
    Case("sysvinit-ifupdown", "sysvinit", "separate", "vpc.conf", (ETH0,), _ifupdown_up),
    Case("fat32-first-partition", "networkd", "vfat", "vpc.conf", (ETH0,), _networkd_configured),
]  # fmt: skip


@dataclass
class Machine:
    """One case's disk and boot files, and how to boot it."""

    case: Case
    work: Path
    disk: Disk
    kernel: Path
    initrd: Path

    def boot(self, ssh_address: str, name: str, nics: Optional[Tuple[Nic, ...]] = None) -> Guest:
        return Guest(self.work, self.disk.path, self.kernel, self.initrd,
                     list(nics or self.case.nics), ssh_address, name,
                     self.disk.root_device)  # fmt: skip


def _machine(case: Case, work: Path, os_conf: bytes) -> Machine:
    tree = with_osconf(case.variant, work)
    kernel, initrd = kernel_and_initrd(tree)
    kernel = Path(shutil.copy(kernel, work / "vmlinuz"))
    initrd = Path(shutil.copy(initrd, work / "initrd.img"))
    disk = Disk(work, case.layout)
    disk.build(tree, os_conf)
    shutil.rmtree(tree)
    return Machine(case, work, disk, kernel, initrd)


def _check_settings(guest: Guest, case: Case, password: str, name: str, address: str) -> None:
    init = VARIANTS[case.variant].init
    _healthy(guest, password, init)
    nic = _link_of(guest, password, ETH0.mac)
    assert guest.run(password, "hostname").strip() == name
    wanted = {(nic, f"{address}/24")}
    routes = _routes(guest, password)
    if case.sample == "classic.conf":
        eth1 = _link_of(guest, password, ETH1.mac)
        wanted.add((eth1, "42.120.74.105/24"))
        assert ("default", "42.120.74.1", eth1) in routes, routes
        assert {
            ("10.0.0.0/8", "10.171.254.1", nic),
            ("172.16.0.0/12", "10.171.254.1", nic),
        } <= routes
        assert not [r for r in routes if r[0] == "default" and r[2] == nic], routes
    else:
        assert ("default", "10.171.254.1", nic) in routes, routes
    assert _addresses(guest, password) == wanted, "an address is missing, or an old one stayed"
    servers = re.findall(r"^nameserver (\S+)", guest.run(password, "cat /etc/resolv.conf"), re.M)
    assert servers[:2] == ["7.7.7.7", "8.8.8.8"], servers
    if case.stack_check is not None:
        case.stack_check(guest, password, nic)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_two_boots(case: Case, tools: None, tmp_path: Path) -> None:
    init = VARIANTS[case.variant].init
    machine = _machine(case, tmp_path, _conf(case.sample, FIRST))

    with machine.boot(ADDRESS1, f"{case.name}-1") as guest:
        guest.wait_for_ssh(FIRST)
        _check_settings(guest, case, FIRST, NAME1, ADDRESS1)
        journal = _journal_is_clean(guest, FIRST, FIRST)
        assert "applied and deleted" in (journal or guest.run(FIRST, "osconf status")), journal
        _cost(guest, FIRST, case.name, "first, applies os.conf", init)
        guest.ok = True
    assert machine.disk.conf_listing() == [], "os.conf must be deleted after a full success"

    machine.disk.put_conf(_conf(case.sample, SECOND, NAME2, ADDRESS2))
    with machine.boot(ADDRESS2, f"{case.name}-2") as guest:
        guest.wait_for_ssh(SECOND)
        with pytest.raises(paramiko.AuthenticationException):
            guest.connect(FIRST)
        _check_settings(guest, case, SECOND, NAME2, ADDRESS2)
        _journal_is_clean(guest, SECOND, FIRST, SECOND)
        _cost(guest, SECOND, case.name, "second, applies a changed os.conf", init)
        guest.ok = True
    assert machine.disk.conf_listing() == []
    if not case.idle_boot:
        return

    with machine.boot(ADDRESS2, f"{case.name}-3") as guest:
        guest.wait_for_ssh(SECOND)
        _check_settings(guest, case, SECOND, NAME2, ADDRESS2)
        journal = _journal_is_clean(guest, SECOND, FIRST, SECOND)
        assert "nothing to do" in journal, journal
        _cost(guest, SECOND, case.name, "third, no os.conf", init)
        guest.ok = True


def test_a_nic_that_never_appears(tools: None, tmp_path: Path) -> None:
    """Classic os.conf, but the instance has only eth0's NIC (moved to VPC)."""
    case = Case("nic-never-appears", "ifupdown", "separate", "classic.conf", (ETH0,))
    machine = _machine(case, tmp_path, _conf("classic.conf", FIRST))
    with machine.boot(ADDRESS1, case.name) as guest:
        guest.wait_for_ssh(FIRST)
        _healthy(guest, FIRST, "systemd")
        nic = _link_of(guest, FIRST, ETH0.mac)
        assert _addresses(guest, FIRST) == {(nic, f"{ADDRESS1}/24")}, "eth0 not configured"
        _ifupdown_up(guest, FIRST, nic)
        journal = _journal_is_clean(guest, FIRST, FIRST)
        assert f"no NIC with MAC {ETH1.mac} appeared within {NIC_TIMEOUT} s" in journal, journal
        status = guest.run(FIRST, "osconf status", check=False)
        assert "failed" in status and "kept for a retry" in status, status
        result = guest.run(FIRST, "systemctl show -p ExecMainStatus --value osconf.service")
        assert result.strip() == "5"
        _cost(guest, FIRST, case.name, "first, eth1's NIC never appears", "systemd", status=5)
        guest.ok = True
    assert machine.disk.conf_listing() == ["os.conf"], "os.conf must be kept for a retry"


def test_a_hostile_file(tools: None, tmp_path: Path) -> None:
    """A reachable instance stays as it was: nothing run, nothing changed, file kept."""
    case = Case("hostile", "networkd", "separate", "vpc.conf", (ETH0,), _networkd_configured)
    machine = _machine(case, tmp_path, _conf("vpc.conf", FIRST))
    with machine.boot(ADDRESS1, f"{case.name}-1") as guest:
        guest.wait_for_ssh(FIRST)
        guest.ok = True
    machine.disk.put_conf(HOSTILE)
    with machine.boot(ADDRESS1, f"{case.name}-2") as guest:
        guest.wait_for_ssh(FIRST)
        _check_settings(guest, case, FIRST, NAME1, ADDRESS1)
        pwned = guest.run(FIRST, "find / -xdev -name 'pwned-*' 2>/dev/null", check=False)
        assert pwned.strip() == "", pwned
        journal = _journal_is_clean(guest, FIRST, FIRST)
        assert "hostname" in journal and "error" in journal, journal
        assert "invalid" in guest.run(FIRST, "osconf status", check=False)
        guest.ok = True
    assert machine.disk.conf_listing() == ["os.conf"], "a rejected os.conf must be kept"
