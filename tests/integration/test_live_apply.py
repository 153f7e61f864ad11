"""`osconf apply --live` against the real kernel, inside namespaces the test made.

The guest namespace holds veths carrying the os.conf MACs under modern names
(ens5, ens6); each peer sits in a gateway namespace holding the gateway
address. Everything is read back over netlink (`ip -j`), and the guest pings
its gateways.
"""

import json
import sys
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from osconf.errors import ExitCode
from tests.conftest import REPO, SAMPLES, make_root
from tests.helpers.livenet import Lab, Monitor
from tests.helpers.tools import require_root, require_tool

pytestmark = pytest.mark.integration

MAC0 = "00:8c:fa:5e:14:23"
MAC1 = "00:8c:fa:5e:14:24"
GW0 = "10.171.254.1"
GW1 = "42.120.74.1"


@pytest.fixture
def lab() -> Iterator[Lab]:
    require_root()
    require_tool("ip", package="iproute2")
    with Lab() as lab:
        yield lab


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_root(tmp_path / "root")


def apply(lab: Lab, root: Path, conf: Path, *extra: str) -> str:
    result = lab.osconf("apply", "--live", "--root", str(root), "--conf", str(conf), *extra)
    assert result.returncode == 0, result.stderr
    return result.stderr


def write_conf(tmp_path: Path, text: str, name: str = "os.conf") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def classic_lab(lab: Lab) -> None:
    lab.add_nic("ens5", MAC0, f"{GW0}/24")
    lab.add_nic("ens6", MAC1, f"{GW1}/24")


def test_classic_sample(lab: Lab, root: Path) -> None:
    require_tool("ping", package="iputils-ping")
    classic_lab(lab)
    apply(lab, root, SAMPLES / "classic.conf")
    assert lab.addresses("ens5") == {"10.171.254.123/24"}
    assert lab.addresses("ens6") == {"42.120.74.105/24"}
    # Classic: the default route is via eth1 only; eth0 carries its intranet routes.
    assert lab.gateway_routes() == {
        ("default", GW1, "ens6"),
        ("10.0.0.0/8", GW0, "ens5"),
        ("172.16.0.0/12", GW0, "ens5"),
    }
    assert lab.ping(GW0) and lab.ping(GW1)
    state = json.loads((root / "var/lib/osconf/network-state.json").read_text())
    assert {n["mac"]: n["addresses"] for n in state["nics"]} == {
        MAC0: ["10.171.254.123/24"],
        MAC1: ["42.120.74.105/24"],
    }


def test_vpc_sample_defaults_via_eth0(lab: Lab, root: Path) -> None:
    require_tool("ping", package="iputils-ping")
    lab.add_nic("ens5", MAC0, f"{GW0}/24")
    apply(lab, root, SAMPLES / "vpc.conf")
    assert lab.addresses("ens5") == {"10.171.254.123/24"}
    assert lab.gateway_routes() == {("default", GW0, "ens5")}
    assert lab.ping(GW0)


def test_second_apply_changes_nothing(lab: Lab, root: Path) -> None:
    classic_lab(lab)
    with Monitor(lab.guest) as first:
        apply(lab, root, SAMPLES / "classic.conf")
    assert first.events, "the monitor must see the first apply's changes"
    with Monitor(lab.guest) as second:
        log = apply(lab, root, SAMPLES / "classic.conf")
    assert second.events == []
    assert "0 changed" in log


def test_new_address_replaces_old_and_keeps_the_admins(
    lab: Lab, root: Path, tmp_path: Path
) -> None:
    require_tool("ping", package="iputils-ping")
    classic_lab(lab)
    apply(lab, root, SAMPLES / "classic.conf")
    # The admin's own address (a secondary of the old one) and route.
    lab.guest.ip("addr", "add", "10.171.254.50/24", "dev", "ens5")
    lab.guest.ip("route", "add", "192.168.50.0/24", "via", GW0, "dev", "ens5")
    changed = (SAMPLES / "classic.conf").read_text()
    changed = changed.replace("eth0_ip_addr=10.171.254.123", "eth0_ip_addr=10.171.254.200")
    changed = changed.replace(";172.16.0.0/12 10.171.254.1", "")
    apply(lab, root, write_conf(tmp_path, changed))
    assert lab.addresses("ens5") == {"10.171.254.200/24", "10.171.254.50/24"}
    assert lab.gateway_routes() == {
        ("default", GW1, "ens6"),
        ("10.0.0.0/8", GW0, "ens5"),
        ("192.168.50.0/24", GW0, "ens5"),
    }
    assert lab.ping(GW0)


def test_classic_to_vpc_moves_the_default_and_clears_eth1(
    lab: Lab, root: Path, tmp_path: Path
) -> None:
    classic_lab(lab)
    apply(lab, root, SAMPLES / "classic.conf")
    apply(lab, root, SAMPLES / "vpc.conf")
    assert lab.addresses("ens5") == {"10.171.254.123/24"}
    assert lab.addresses("ens6") == set()
    assert lab.gateway_routes() == {("default", GW0, "ens5")}


def test_missing_nic_is_an_error_and_the_other_is_configured(lab: Lab, root: Path) -> None:
    lab.add_nic("ens5", MAC0, f"{GW0}/24")
    conf = SAMPLES / "classic.conf"
    result = lab.osconf(
        "apply", "--live", "--root", str(root), "--conf", str(conf), "--nic-timeout", "1"
    )
    assert result.returncode == ExitCode.APPLY_FAILED
    assert f"eth1: no NIC with MAC {MAC1} appeared within 1 s" in result.stderr
    assert lab.addresses("ens5") == {"10.171.254.123/24"}
    assert ("10.0.0.0/8", GW0, "ens5") in lab.gateway_routes()
    assert conf.exists()


def test_nic_that_appears_late_is_waited_for(lab: Lab, root: Path) -> None:
    lab.add_nic("ens5", MAC0, f"{GW0}/24")

    def plug_in_later() -> None:
        time.sleep(2)
        lab.add_nic("ens6", MAC1, f"{GW1}/24")

    plug = threading.Thread(target=plug_in_later)
    plug.start()
    try:
        apply(lab, root, SAMPLES / "classic.conf")
    finally:
        plug.join()
    assert lab.addresses("ens6") == {"42.120.74.105/24"}
    assert ("default", GW1, "ens6") in lab.gateway_routes()


def test_a_thousand_routes(lab: Lab, root: Path, tmp_path: Path) -> None:
    # os.conf lines are capped at 8 KiB (about 300 routes): 250 on each of 4 NICs.
    lines = []
    wanted = set()
    for n in range(4):
        mac, gateway = f"00:8c:fa:5e:15:{n:02x}", f"10.200.{n}.1"
        lab.add_nic(f"ens{5 + n}", mac, f"{gateway}/24")
        nets = [f"10.{n}.{i}.0/24" for i in range(250)]
        wanted |= {(net, gateway, f"ens{5 + n}") for net in nets}
        routes = ";".join(f"{net} {gateway}" for net in nets)
        lines += [
            f"eth{n}_ip_addr=10.200.{n}.10",
            f"eth{n}_mac_addr={mac}",
            f"eth{n}_netmask=255.255.255.0",
            f"eth{n}_gateway={gateway}",
            f'eth{n}_route="{routes}"',
        ]
    conf = write_conf(tmp_path, "\n".join(lines) + "\n")
    apply(lab, root, conf)
    assert lab.gateway_routes() == wanted
    with Monitor(lab.guest) as again:
        apply(lab, root, conf)
    assert again.events == []


UDEV_CHILD = """
import os, sys
from osconf.netlink import Netlink
data, control = sys.argv[1], sys.argv[2]
netlink = Netlink(udev_data=data, udev_control=control)
link = netlink.find_link("00:8c:fa:5e:14:23", "eth0", float(sys.argv[3]))
print(link.name if link else "-", os.path.exists(f"{data}/n{link.index}") if link else "-")
"""


def test_nic_not_yet_processed_by_udev_is_waited_for(lab: Lab, tmp_path: Path) -> None:
    """While udev runs, a NIC it has not processed (maybe about to rename) is left alone."""
    lab.add_nic("ens5", MAC0, f"{GW0}/24")
    index = json.loads(lab.guest.ip("-j", "link", "show", "dev", "ens5"))[0]["ifindex"]
    data, control = tmp_path / "data", tmp_path / "control"
    data.mkdir()
    control.touch()

    def udev_done_later() -> None:
        time.sleep(1.5)
        (data / f"n{index}").touch()

    done = threading.Thread(target=udev_done_later)
    done.start()
    try:
        waited = lab.guest.run(
            [sys.executable, "-c", UDEV_CHILD, str(data), str(control), "30"], cwd=REPO
        )
    finally:
        done.join()
    # It returned only once udev had recorded the NIC.
    assert waited.stdout.split() == ["ens5", "True"]
    # Processed already: no wait. Never processed: used anyway at the deadline.
    ready = lab.guest.run(
        [sys.executable, "-c", UDEV_CHILD, str(data), str(control), "30"], cwd=REPO
    )
    assert ready.stdout.split() == ["ens5", "True"]
    (data / f"n{index}").unlink()
    late = lab.guest.run([sys.executable, "-c", UDEV_CHILD, str(data), str(control), "1"], cwd=REPO)
    assert late.stdout.split() == ["ens5", "False"]
