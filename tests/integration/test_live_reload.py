"""The running systemd-networkd takes the new configuration without a link bounce.

A real systemd-networkd (and the D-Bus system bus `networkctl` talks over)
runs inside the guest namespace, in a private mount namespace where
/etc/systemd/network, /run/systemd and /run/dbus are the test's own
directories and /sys is read-only (so networkd does not wait for udev).
networkd first configures the old address; then the .network file changes
(as osconf's persist step would write it), `osconf apply --live` sets the
kernel, and `osconf.reload` asks networkd to reload. networkd must end up
"configured" with the new address, and the link must never go down.
"""

import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLES, make_root
from tests.helpers.livenet import Lab
from tests.helpers.tools import require_tool

pytestmark = pytest.mark.integration

MAC0 = "00:8c:fa:5e:14:23"

NETWORK = """\
[Match]
MACAddress={mac}

[Network]
Address={cidr}
Gateway=10.171.254.1
LinkLocalAddressing=no
IPv6AcceptRA=no
"""

# The system bus without service activation: a second, bus-activated
# networkd racing the one started here would make the test meaningless.
BUS_CONFIG = """\
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=/run/dbus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""

SCRIPT = """\
set -eu
{python} -m osconf -q apply --live --root {root} --conf {old_conf}
mount --bind {tmp}/run-dbus /run/dbus
mount --bind {tmp}/run-systemd /run/systemd
mount --bind {tmp}/network /etc/systemd/network
mount -o remount,ro /sys
mkdir -p /run/systemd/netif
chown systemd-network: /run/systemd /run/systemd/netif
{dbus} --config-file={tmp}/bus.conf --nofork --nopidfile & dbus=$!
sleep 0.5
{networkd} 2>{tmp}/networkd.log & networkd=$!
monitor=
trap 'kill $networkd $dbus $monitor' EXIT
configured() {{
    for i in $(seq 100); do
        if networkctl list ens5 | grep -q "routable *configured"; then return 0; fi
        sleep 0.1
    done
    networkctl status ens5 >&2; return 1
}}
configured
ip -o monitor link > {tmp}/monitor.log & monitor=$!
sleep 0.3
printf '%s' '{new_network}' > {tmp}/network/50-osconf.network
{python} -m osconf -q apply --live --root {root} --conf {new_conf}
{python} -c '{reload}'
configured
networkctl status ens5 > {tmp}/status.log
ip -4 -o addr show dev ens5 > {tmp}/addr.log
"""

RELOAD = textwrap.dedent(
    """\
    import sys
    from osconf.reload import reload_actions
    from osconf.system import System
    [action] = reload_actions("networkd", System(sys.argv[1] if len(sys.argv) > 1 else "/"))
    assert action.execute(System("/")), "networkctl reload did not run"
    """
)


def test_networkd_reload_takes_the_new_address_without_bouncing(lab: Lab, tmp_path: Path) -> None:
    networkd = require_tool("systemd-networkd", package="systemd")
    dbus = require_tool("dbus-daemon", package="dbus")
    require_tool("networkctl", package="systemd")
    lab.add_nic("ens5", MAC0, "10.171.254.1/24")
    for name in ("run-dbus", "run-systemd", "network"):
        (tmp_path / name).mkdir()
    (tmp_path / "bus.conf").write_text(BUS_CONFIG)
    (tmp_path / "network/50-osconf.network").write_text(
        NETWORK.format(mac=MAC0, cidr="10.171.254.123/24")
    )
    new_conf = tmp_path / "os.conf"
    new_conf.write_text(
        (SAMPLES / "vpc.conf").read_text().replace("10.171.254.123", "10.171.254.200")
    )
    script = SCRIPT.format(
        tmp=tmp_path,
        dbus=dbus,
        networkd=networkd,
        new_network=NETWORK.format(mac=MAC0, cidr="10.171.254.200/24"),
        python=sys.executable,
        root=make_root(tmp_path / "root"),
        old_conf=SAMPLES / "vpc.conf",
        new_conf=new_conf,
        reload=RELOAD,
    )
    result = lab.guest.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        check=False,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    status = (tmp_path / "status.log").read_text()
    assert "10.171.254.200" in status and "10.171.254.123" not in status
    assert "State: routable (configured)" in status
    addresses = (tmp_path / "addr.log").read_text()
    assert "10.171.254.200/24" in addresses and "10.171.254.123" not in addresses
    events = (tmp_path / "monitor.log").read_text().splitlines()
    assert not [e for e in events if "ens5" in e and ",UP" not in e and "<UP" not in e], events
