"""Network namespaces made by a test, so nothing touches the host's network.

    with NetNS("guest") as guest, NetNS("gw") as gw:
        guest.veth_to(gw, "ens5", "00:8c:fa:5e:14:23", peer_name="gw0")
        gw.ip("addr", "add", "10.171.254.1/24", "dev", "gw0")
        guest.run(["ip", "-j", "addr"])

Every namespace name carries the test process's PID so parallel runs do
not collide, and the namespace is deleted on exit whatever happened.
"""

import itertools
import os
import subprocess
from types import TracebackType
from typing import Optional, Sequence, Type

_counter = itertools.count()


class NetNS:
    def __init__(self, label: str) -> None:
        self.name = f"osct-{label}-{os.getpid()}-{next(_counter)}"

    def __enter__(self) -> "NetNS":
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        self.ip("link", "set", "lo", "up")
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        subprocess.run(["ip", "netns", "del", self.name], check=False)

    def run(
        self, argv: Sequence[str], check: bool = True, **kwargs: object
    ) -> "subprocess.CompletedProcess[str]":
        """Runs a command inside the namespace (text output captured)."""
        return subprocess.run(  # type: ignore[call-overload, no-any-return]
            ["ip", "netns", "exec", self.name, *argv],
            check=check,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            universal_newlines=True,
            **kwargs,
        )

    def ip(self, *args: str) -> str:
        return self.run(["ip", *args]).stdout

    def veth_to(
        self, other: "NetNS", name: str, mac: str, peer_name: str, peer_mac: Optional[str] = None
    ) -> None:
        """A veth pair: `name` (with `mac`) here, `peer_name` in `other`; both up."""
        tmp_a, tmp_b = (
            f"oa{os.getpid() % 100000}{next(_counter)}",
            f"ob{os.getpid() % 100000}{next(_counter)}",
        )
        subprocess.run(
            ["ip", "link", "add", tmp_a, "type", "veth", "peer", "name", tmp_b], check=True
        )
        subprocess.run(["ip", "link", "set", tmp_a, "netns", self.name], check=True)
        subprocess.run(["ip", "link", "set", tmp_b, "netns", other.name], check=True)
        self.ip("link", "set", tmp_a, "name", name)
        self.ip("link", "set", name, "address", mac)
        other.ip("link", "set", tmp_b, "name", peer_name)
        if peer_mac:
            other.ip("link", "set", peer_name, "address", peer_mac)
        other.ip("link", "set", peer_name, "up")
