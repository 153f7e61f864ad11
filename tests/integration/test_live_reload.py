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
from tests.helpers.networkd import start_networkd
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


SCRIPT = """\
set -eu
{python} -m osconf -q apply --live --root {root} --conf {old_conf}
{start}monitor=
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
    require_tool("networkctl", package="systemd")
    lab.add_nic("ens5", MAC0, "10.171.254.1/24")
    (tmp_path / "network").mkdir()
    start = start_networkd(tmp_path, tmp_path / "network")
    (tmp_path / "network/50-osconf.network").write_text(
        NETWORK.format(mac=MAC0, cidr="10.171.254.123/24")
    )
    new_conf = tmp_path / "os.conf"
    new_conf.write_text(
        (SAMPLES / "vpc.conf").read_text().replace("10.171.254.123", "10.171.254.200")
    )
    script = SCRIPT.format(
        tmp=tmp_path,
        start=start,
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
