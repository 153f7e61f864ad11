"""The validated content of an os.conf, as frozen values.

Produced by `osconf.validate`, consumed by the planner and the renderers.
Addresses are kept as canonical strings (dotted IPv4, CIDR, lower-case
colon-separated MAC) so that every consumer can format them without pulling
in an address library.
"""

from typing import NoReturn, Optional, Tuple

from osconf.value import Value

DEFAULT_DESTINATION = "0.0.0.0/0"


class Secret:
    """A string that will not show itself by accident.

    `repr()`, `str()` and formatting print a mask; only `reveal()` gives the
    value. Pickling is refused so it cannot be written to a state file.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        import hmac  # loads OpenSSL: only where secrets are compared

        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")


def ipv4_int(address: str) -> int:
    """'10.0.0.1' -> 167772161 (the address already validated as dotted IPv4)."""
    a, b, c, d = (int(o) for o in address.split("."))
    return (a << 24) | (b << 16) | (c << 8) | d


def ipv4_str(value: int) -> str:
    """167772161 -> '10.0.0.1'."""
    return ".".join(str((value >> shift) & 0xFF) for shift in (24, 16, 8, 0))


def prefix_mask(prefixlen: int) -> int:
    """24 -> 0xFFFFFF00."""
    return (0xFFFFFFFF << (32 - prefixlen)) & 0xFFFFFFFF


def prefix_to_netmask(prefixlen: int) -> str:
    """24 -> '255.255.255.0'."""
    return ipv4_str(prefix_mask(prefixlen))


def _network_of(address: str, prefixlen: int) -> str:
    return f"{ipv4_str(ipv4_int(address) & prefix_mask(prefixlen))}/{prefixlen}"


class Route(Value):
    """One `dst gw` entry of an `ethN_route` list."""

    __slots__ = ("destination", "gateway")
    destination: str  # CIDR with host bits zero, e.g. "10.0.0.0/8"
    gateway: str  # dotted IPv4

    def __init__(self, destination: str, gateway: str) -> None:
        self._set(destination, gateway)

    @property
    def is_default(self) -> bool:
        return self.destination == DEFAULT_DESTINATION


class Nic(Value):
    """One `ethN_*` group: a NIC identified by its MAC address."""

    __slots__ = ("name", "index", "mac", "address", "prefixlen", "gateway", "routes")
    name: str  # the os.conf name, "eth0"; not necessarily the kernel's name
    index: int  # N of ethN
    mac: Optional[str]  # "00:8c:fa:5e:14:23"; None when os.conf gave none
    address: str  # "10.171.254.123"
    prefixlen: int  # 24
    gateway: Optional[str]
    routes: Tuple[Route, ...]

    def __init__(
        self,
        name: str,
        index: int,
        mac: Optional[str],
        address: str,
        prefixlen: int,
        gateway: Optional[str] = None,
        routes: Tuple[Route, ...] = (),
    ) -> None:
        self._set(name, index, mac, address, prefixlen, gateway, routes)

    @property
    def netmask(self) -> str:
        return prefix_to_netmask(self.prefixlen)

    @property
    def cidr(self) -> str:
        """Address with prefix length: "10.171.254.123/24"."""
        return f"{self.address}/{self.prefixlen}"

    @property
    def network(self) -> str:
        """The subnet: "10.171.254.0/24"."""
        return _network_of(self.address, self.prefixlen)

    @property
    def default_route(self) -> Optional[Route]:
        for route in self.routes:
            if route.is_default:
                return route
        return None

    @property
    def static_routes(self) -> Tuple[Route, ...]:
        """Routes other than the default route."""
        return tuple(r for r in self.routes if not r.is_default)


class OsConf(Value):
    """Everything an os.conf asks for. Empty fields mean "leave alone"."""

    __slots__ = ("source", "hostname", "password", "nics", "dns", "classic")
    _hidden = ("password",)
    source: str
    hostname: Optional[str]
    password: Optional[Secret]
    nics: Tuple[Nic, ...]
    dns: Tuple[str, ...]
    classic: bool  # any eth1_* key present (spec: classic vs VPC)

    def __init__(
        self,
        source: str = "os.conf",
        hostname: Optional[str] = None,
        password: Optional[Secret] = None,
        nics: Tuple[Nic, ...] = (),
        dns: Tuple[str, ...] = (),
        classic: bool = False,
    ) -> None:
        self._set(source, hostname, password, nics, dns, classic)

    @property
    def network_type(self) -> str:
        return "classic" if self.classic else "vpc"

    @property
    def default_route(self) -> Optional[Tuple[Nic, Route]]:
        """The one NIC and route that carry 0.0.0.0/0, if os.conf gives one."""
        for nic in self.nics:
            route = nic.default_route
            if route is not None:
                return nic, route
        return None

    def nic(self, name: str) -> Optional[Nic]:
        for nic in self.nics:
            if nic.name == name:
                return nic
        return None
