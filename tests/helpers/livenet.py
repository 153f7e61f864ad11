"""A guest and its gateways, each in a network namespace of the test's own.

    with Lab() as lab:
        lab.add_nic("ens5", "00:8c:fa:5e:14:23", "10.171.254.1/24")
        result = lab.osconf("apply", "--live", "--root", root, "--conf", conf)

The guest's NICs are veths whose peers sit in one gateway namespace per NIC,
holding the gateway address. The sample addresses are real public hosts:
they exist only inside these namespaces, and the namespaces have no link to
the host's network, so nothing leaves the machine.
"""

import json
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from types import TracebackType
from typing import Any, Dict, List, Optional, Set, Tuple, Type

from tests.conftest import REPO
from tests.helpers.netns import NetNS


class Lab:
    def __init__(self) -> None:
        self._stack = ExitStack()
        self.guest = NetNS("guest")
        self.gateways: Dict[str, NetNS] = {}

    def __enter__(self) -> "Lab":
        self._stack.enter_context(self.guest)
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self._stack.close()

    def add_nic(self, name: str, mac: str, gateway_cidr: str) -> NetNS:
        """A guest NIC `name` with `mac`, wired to a new namespace holding the gateway."""
        gateway = self._stack.enter_context(NetNS("gw"))
        self.guest.veth_to(gateway, name, mac, peer_name="gw0")
        gateway.ip("addr", "add", gateway_cidr, "dev", "gw0")
        self.gateways[name] = gateway
        return gateway

    def osconf(self, *args: str, timeout: float = 120) -> "subprocess.CompletedProcess[str]":
        """The real command line, run inside the guest namespace."""
        env = {k: v for k, v in os.environ.items() if k not in ("INVOCATION_ID", "JOURNAL_STREAM")}
        return self.guest.run(
            [sys.executable, "-m", "osconf", *args], check=False, cwd=REPO, env=env, timeout=timeout
        )

    def addresses(self, dev: str) -> Set[str]:
        data = json.loads(self.guest.ip("-j", "-4", "addr", "show", "dev", dev))
        return {f"{a['local']}/{a['prefixlen']}" for entry in data for a in entry["addr_info"]}

    def routes(self) -> List[Dict[str, Any]]:
        return list(json.loads(self.guest.ip("-j", "-4", "route", "show", "table", "main")))

    def gateway_routes(self) -> Set[Tuple[str, str, str]]:
        """(destination, gateway, device) of every route with a gateway."""
        return {(r["dst"], r["gateway"], r["dev"]) for r in self.routes() if "gateway" in r}

    def ping(self, address: str) -> bool:
        result = self.guest.run(["ping", "-c", "1", "-W", "2", address], check=False)
        return result.returncode == 0


class Monitor:
    """Counts netlink change notifications (links, IPv4 addresses and routes) in a namespace.

    IPv6 is left out: the kernel itself announces link-local addresses some
    time after a link comes up, which is not a change osconf made.
    """

    def __init__(self, ns: NetNS) -> None:
        self._ns = ns
        self._proc: Optional[subprocess.Popen[str]] = None
        self.events: List[str] = []

    def __enter__(self) -> "Monitor":
        self._proc = subprocess.Popen(
            ["ip", "netns", "exec", self._ns.name, "ip", "-4", "-o", "monitor", "link", "address",
             "route"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
        )  # fmt: skip
        time.sleep(0.3)  # ip subscribes to the groups before the watched run starts
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._proc is not None
        time.sleep(0.3)  # notifications of the last change are delivered
        self._proc.terminate()
        out, _ = self._proc.communicate(timeout=10)
        self.events = [line for line in out.splitlines() if line.strip()]
