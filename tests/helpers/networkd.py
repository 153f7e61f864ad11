"""A standalone systemd-networkd, and the system bus it needs, in a test's
network namespace: the shell lines that start them inside the private mount
namespace (`unshare -m --propagation private`) of the script they open, its
run-time and configuration directories bind-mounted from the test's own.
"""

from pathlib import Path

from tests.helpers.tools import require_tool

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


def start_networkd(tmp: Path, network: Path) -> str:
    """Shell lines (for `sh -eu`) that start dbus-daemon and systemd-networkd
    reading `network` as /etc/systemd/network, their pids in `$dbus` and
    `$networkd` (the caller's `trap` kills them), networkd's stderr in
    `tmp/networkd.log`. Makes tmp/run-dbus, tmp/run-systemd, tmp/bus.conf."""
    networkd = require_tool("systemd-networkd", package="systemd")
    dbus = require_tool("dbus-daemon", package="dbus")
    for name in ("run-dbus", "run-systemd"):
        (tmp / name).mkdir(exist_ok=True)
    (tmp / "bus.conf").write_text(BUS_CONFIG)
    return f"""\
mount --bind {tmp}/run-dbus /run/dbus
mount --bind {tmp}/run-systemd /run/systemd
mount --bind {network} /etc/systemd/network
mount -o remount,ro /sys
mkdir -p /run/systemd/netif
chown systemd-network: /run/systemd /run/systemd/netif
{dbus} --config-file={tmp}/bus.conf --nofork --nopidfile & dbus=$!
sleep 0.5
{networkd} 2>{tmp}/networkd.log & networkd=$!
"""
