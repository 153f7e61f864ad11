"""Turns parsed assignments into an `OsConf`, collecting every problem.

Pure: no I/O. The strict textual checks reject forms that libc would
accept but an operator would not mean (leading zeros, short forms); what
passes them is plain dotted IPv4 or a 48-bit MAC, checked here with integer
arithmetic. netaddr (the project's address library) parses what needs a
library, IPv6 name servers, and is imported only then: importing it costs
more than the rest of an offline apply (tests/unit/test_validate_addresses.py
holds these checks to netaddr's answers).
"""

import base64
import binascii
import re
from typing import Dict, Iterable, List, Optional, Set, Tuple

from osconf.errors import ConfigError, Problem
from osconf.model import (
    DEFAULT_DESTINATION,
    Nic,
    OsConf,
    Route,
    Secret,
    ipv4_int,
    ipv4_str,
    prefix_mask,
)
from osconf.parse import Assignment, parse

# The plain forms (ethN_field, dotted quads, host-name labels) are checked
# with string methods: each compiled pattern costs an apply ~1 M instructions.
_NIC_FIELDS = ("ip_addr", "mac_addr", "netmask", "gateway", "route")
_GLOBAL_KEYS = ("hostname", "password", "dns_nameserver")
_MAC = re.compile(
    r"[0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}"
    r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}"
    r"|[0-9A-Fa-f]{12}"
)
_ALNUM = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_LABEL_CHARS = _ALNUM | {"-"}
HOSTNAME_MAX = 64
MAX_NICS = 32
PASSWORD_MAX_BYTES = 1024


class _Invalid(Exception):
    """A value is wrong; the message must not quote a secret."""


def _number(text: str, digits: int) -> bool:
    """A decimal of at most `digits` ASCII digits, no leading zero."""
    return 0 < len(text) <= digits and _decimal(text) and (text == "0" or text[0] != "0")


def _dotted(text: str) -> bool:
    """Four dot-separated numbers of at most three digits, no leading zeros."""
    parts = text.split(".")
    return len(parts) == 4 and all(_number(part, 3) for part in parts)


def _label(text: str) -> bool:
    """An RFC 1123 label: 1-63 letters, digits and inner hyphens."""
    return (
        0 < len(text) <= 63
        and text[0] in _ALNUM
        and text[-1] in _ALNUM
        and all(char in _LABEL_CHARS for char in text)
    )


def nic_key(key: str) -> Optional[Tuple[int, str]]:
    """ "eth1_route" -> (1, "route"); None for any other key."""
    if not key.startswith("eth"):
        return None
    number, _, field = key[3:].partition("_")
    if field not in _NIC_FIELDS or not _number(number, 3):
        return None
    return int(number), field


def _ipv4(text: str) -> str:
    """`text` itself once it is dotted IPv4 in canonical form."""
    if not _dotted(text):
        raise _Invalid(f"not a dotted IPv4 address: {text!r}")
    if any(int(octet) > 255 for octet in text.split(".")):
        raise _Invalid(f"not an IPv4 address (octet out of range?): {text!r}")
    return text


def _within(value: int, network: int, prefixlen: int) -> bool:
    mask = prefix_mask(prefixlen)
    return value & mask == network & mask


_LOOPBACK = (0x7F000000, 8)  # 127.0.0.0/8
_LINK_LOCAL = (0xA9FE0000, 16)  # 169.254.0.0/16
_MULTICAST = (0xE0000000, 4)  # 224.0.0.0/4
_RESERVED = (0xF0000000, 4)  # 240.0.0.0/4


def _unicast(text: str) -> str:
    address = _ipv4(text)
    ip = ipv4_int(address)
    if _within(ip, *_MULTICAST) or _within(ip, *_LOOPBACK) or ip in (0, 0xFFFFFFFF):
        raise _Invalid(f"not a usable unicast address: {address}")
    if _within(ip, *_RESERVED):
        raise _Invalid(f"not a usable unicast address (240.0.0.0/4 is reserved): {address}")
    return address


def gateway_problem(gateway: str, address: str, prefixlen: int) -> Optional[str]:
    """What is wrong with `gateway` as a next hop of the NIC `address/prefixlen`,
    or None. The one rule set for `ethN_gateway` and every route's gateway:
    a usable unicast address (not 0.0.0.0, loopback, multicast, broadcast,
    link-local or reserved), not the NIC's own address, not its subnet's
    network or broadcast address, and on-link: inside the NIC's subnet (the
    kernel refuses any other next hop on that link, and a default route via
    one leaves the instance unreachable)."""
    try:
        _unicast(gateway)
    except _Invalid as err:
        return str(err)
    ip = ipv4_int(gateway)
    if _within(ip, *_LINK_LOCAL):
        return f"{gateway} is link-local, not a gateway of {address}/{prefixlen}"
    if gateway == address:
        return f"{gateway} is the NIC's own address"
    mask = prefix_mask(prefixlen)
    network = ipv4_int(address) & mask
    cidr = f"{ipv4_str(network)}/{prefixlen}"
    if prefixlen < 31 and ip in (network, network | (~mask & 0xFFFFFFFF)):
        return f"{gateway} is the network or broadcast address of {cidr}"
    if ip & mask != network:
        return f"{gateway} is outside the subnet {cidr}: not reachable on this link"
    return None


def _hostname(value: str) -> str:
    if not value:
        raise _Invalid("empty host name")
    if len(value) > HOSTNAME_MAX:
        raise _Invalid(f"host name is {len(value)} characters, more than {HOSTNAME_MAX}")
    name = value[:-1] if value.endswith(".") else value
    labels = name.split(".")
    if not all(_label(label) for label in labels):
        raise _Invalid(
            f"not a valid host name (RFC 1123: letters, digits, inner hyphens): {value!r}"
        )
    if all(label.isdigit() for label in labels):
        raise _Invalid(f"a host name cannot be all digits: {value!r}")
    return name


def _password(value: str) -> Secret:
    # Messages here never quote the value: it is the root password.
    if not value:
        raise _Invalid("empty value")
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise _Invalid("not valid base64 (value not shown)") from None
    if raw.endswith(b"\r\n"):
        raw = raw[:-2]
    elif raw.endswith(b"\n"):
        raw = raw[:-1]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Invalid("decoded password is not valid UTF-8 (value not shown)") from None
    if not text:
        raise _Invalid("decoded password is empty")
    if len(raw) > PASSWORD_MAX_BYTES:
        # SHA-512 crypt hashes the password once per byte of it: the cost
        # grows with the square of its length.
        raise _Invalid(
            f"decoded password is {len(raw)} bytes, more than the {PASSWORD_MAX_BYTES} "
            "allowed (value not shown)"
        )
    if any(ch in text for ch in "\0\r\n"):
        raise _Invalid("decoded password contains a NUL or line break (value not shown)")
    return Secret(text)


def _mac(value: str) -> str:
    if not _MAC.fullmatch(value):
        raise _Invalid(f"not a MAC address: {value!r}")
    digits = value.replace(":", "").replace("-", "").replace(".", "").lower()
    text = ":".join(digits[i : i + 2] for i in range(0, 12, 2))
    if int(digits, 16) == 0:
        raise _Invalid("all-zero MAC address")
    if int(text[:2], 16) & 1:
        raise _Invalid(f"multicast MAC address cannot identify a NIC: {text}")
    return text


def _decimal(text: str) -> bool:
    # str.isdigit() is also true for "²" and "٢٤", which int() rejects or reads.
    return text.isdigit() and all(c in "0123456789" for c in text)


def _prefixlen(value: str) -> int:
    if _decimal(value) and len(value) <= 2:
        bits = int(value)
        if 1 <= bits <= 32:
            return bits
        raise _Invalid(f"prefix length must be 1-32: {value!r}")
    hosts = ipv4_int(_ipv4(value)) ^ 0xFFFFFFFF
    if hosts & (hosts + 1):
        raise _Invalid(f"netmask is not contiguous: {value}")
    bits = 32 - hosts.bit_length()
    if bits == 0:
        raise _Invalid("netmask 0.0.0.0 leaves no subnet")
    return bits


def _cidr(text: str) -> str:
    if "/" not in text:
        raise _Invalid(f"route destination must be CIDR (address/prefix): {text!r}")
    address, _, bits = text.partition("/")
    address = _ipv4(address)
    if not _decimal(bits) or len(bits) > 2 or int(bits) > 32:
        raise _Invalid(f"route destination has a bad prefix length: {text!r}")
    prefixlen = int(bits)
    network = f"{ipv4_str(ipv4_int(address) & prefix_mask(prefixlen))}/{prefixlen}"
    if not network.startswith(address + "/"):
        raise _Invalid(f"route destination has host bits set: {text} (network is {network})")
    return network


def _routes(value: str) -> Tuple[Route, ...]:
    routes: List[Route] = []
    errors: List[str] = []
    for number, entry in enumerate(value.split(";"), start=1):
        fields = entry.split()
        if not fields:
            continue  # tolerated: spaces, an empty trailing entry
        try:
            if len(fields) == 1:
                raise _Invalid(f"route {fields[0]!r} has no gateway")
            if len(fields) > 2:
                raise _Invalid(f"route {entry.strip()!r} must be 'destination gateway'")
            routes.append(Route(_cidr(fields[0]), _ipv4(fields[1])))
        except _Invalid as err:
            errors.append(f"entry {number}: {err}")
    if errors:
        raise _Invalid("; ".join(errors))
    seen: Set[str] = set()
    duplicates: Set[str] = set()
    for route in routes:
        (duplicates if route.destination in seen else seen).add(route.destination)
    if duplicates:
        raise _Invalid("destination listed twice: " + ", ".join(sorted(duplicates)))
    return tuple(routes)


def _dns(value: str) -> Tuple[str, ...]:
    servers: List[str] = []
    for item in value.replace(",", " ").split():
        if ":" in item:
            import netaddr

            try:
                ip = netaddr.IPAddress(item, 6)
            except (netaddr.AddrFormatError, ValueError):
                raise _Invalid(f"not an IP address: {item!r}") from None
            if int(ip) == 0 or ip.is_multicast():
                raise _Invalid(f"not a usable name server address: {ip}")
            servers.append(str(ip))
        else:
            address = _ipv4(item)
            ip4 = ipv4_int(address)
            if ip4 in (0, 0xFFFFFFFF) or _within(ip4, *_MULTICAST) or _within(ip4, *_RESERVED):
                raise _Invalid(f"not a usable name server address: {address}")
            servers.append(address)
    if not servers:
        raise _Invalid("no name server given")
    return tuple(dict.fromkeys(servers))


class _Collector:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: List[Problem] = []

    def error(self, line: int, key: str, message: str) -> None:
        self.problems.append(Problem(self.source, line, key, message))

    def warn(self, line: int, key: str, message: str) -> None:
        self.problems.append(Problem(self.source, line, key, message, fatal=False))


def _last_wins(assignments: Iterable[Assignment], out: _Collector) -> Dict[str, Assignment]:
    latest: Dict[str, Assignment] = {}
    for item in assignments:
        if item.key in latest:
            out.warn(
                item.line,
                item.key,
                f"repeated (first on line {latest[item.key].line}); the last value wins",
            )
        latest[item.key] = item
    return latest


def _nic(index: int, keys: Dict[str, Assignment], out: _Collector) -> Optional[Nic]:
    name = f"eth{index}"
    values: Dict[str, object] = {}
    checks = {
        "ip_addr": _unicast,
        "mac_addr": _mac,
        "netmask": _prefixlen,
        "gateway": _unicast,
        "route": _routes,
    }
    for field_name, check in checks.items():
        item = keys.get(field_name)
        if item is None:
            continue
        try:
            values[field_name] = check(item.value)
        except _Invalid as err:
            out.error(item.line, item.key, str(err))
    any_line = min(a.line for a in keys.values())
    for required in ("ip_addr", "netmask"):
        if required not in keys:
            out.error(any_line, f"{name}_{required}", f"missing, but other {name}_* keys are set")
    if "mac_addr" not in keys:
        out.warn(any_line, f"{name}_mac_addr", f"missing: {name} will be matched by name only")
    if not all(k in values for k in ("ip_addr", "netmask")) or len(values) != len(keys):
        return None
    address = str(values["ip_addr"])
    prefixlen = int(str(values["netmask"]))
    gateway = values.get("gateway")
    routes = values.get("route", ())
    assert isinstance(routes, tuple)
    nic = Nic(
        name=name,
        index=index,
        mac=str(values["mac_addr"]) if "mac_addr" in values else None,
        address=address,
        prefixlen=prefixlen,
        gateway=str(gateway) if gateway is not None else None,
        routes=routes,
    )
    host_bits = ipv4_int(address) & ~prefix_mask(prefixlen) & 0xFFFFFFFF
    if prefixlen < 31 and host_bits in (0, ~prefix_mask(prefixlen) & 0xFFFFFFFF):
        out.error(
            keys["ip_addr"].line,
            keys["ip_addr"].key,
            f"{address} is the network or broadcast address of {nic.network}",
        )
        return None
    if gateway is not None:
        problem = gateway_problem(str(gateway), address, prefixlen)
        if problem:
            out.error(keys["gateway"].line, keys["gateway"].key, problem)
            return None
    bad = []
    for route in nic.routes:
        problem = gateway_problem(route.gateway, address, prefixlen)
        if problem:
            bad.append(f"route {route.destination} via {route.gateway}: {problem}")
    if bad:
        out.error(keys["route"].line, keys["route"].key, "; ".join(bad))
        return None
    return nic


def validate(
    assignments: Iterable[Assignment], source: str = "os.conf"
) -> Tuple[OsConf, Tuple[Problem, ...]]:
    """Builds the `OsConf`; raises `ConfigError` listing every fatal problem.

    Returns the configuration and the warnings (unknown keys, repeats, ...).
    """
    out = _Collector(source)
    latest = _last_wins(assignments, out)
    hostname: Optional[str] = None
    password: Optional[Secret] = None
    dns: Tuple[str, ...] = ()
    nic_keys: Dict[int, Dict[str, Assignment]] = {}
    for key, item in latest.items():
        group = nic_key(key)
        if group is not None:
            nic_keys.setdefault(group[0], {})[group[1]] = item
            continue
        if key not in _GLOBAL_KEYS:
            out.warn(item.line, key, "unknown key, ignored")
            continue
        try:
            if key == "hostname":
                hostname = _hostname(item.value)
            elif key == "password":
                password = _password(item.value)
            else:
                dns = _dns(item.value)
        except _Invalid as err:
            out.error(item.line, key, str(err))
    if len(nic_keys) > MAX_NICS:
        out.error(0, "", f"{len(nic_keys)} NICs given, at most {MAX_NICS} are supported")
        nic_keys = {}
    nics = []
    for index in sorted(nic_keys):
        nic = _nic(index, nic_keys[index], out)
        if nic is not None:
            nics.append(nic)
    if nic_keys and 0 not in nic_keys:
        out.error(
            min(a.line for k in nic_keys.values() for a in k.values()),
            "eth0_ip_addr",
            "eth0 is missing but other NICs are configured",
        )
    addresses = [n.address for n in nics]
    for nic in nics:
        if addresses.count(nic.address) > 1:
            item = nic_keys[nic.index]["ip_addr"]
            out.error(item.line, item.key, f"{nic.address} is given for more than one NIC")
    if 1 in nic_keys:
        for nic in nics:
            if nic.index == 0 and nic.default_route is not None:
                item = nic_keys[0]["route"]
                out.error(
                    item.line,
                    item.key,
                    f"classic network (eth1 is set): eth0 carries only intranet routes, "
                    f"{DEFAULT_DESTINATION} belongs on eth1_route",
                )
    macs = [n.mac for n in nics if n.mac]
    for nic in nics:
        if nic.mac and macs.count(nic.mac) > 1:
            item = nic_keys[nic.index]["mac_addr"]
            out.error(item.line, item.key, f"MAC {nic.mac} is given for more than one NIC")
    defaults = [n for n in nics if n.default_route is not None]
    if len(defaults) > 1:
        names = " and ".join(n.name for n in defaults)
        for nic in defaults:
            item = nic_keys[nic.index]["route"]
            out.error(
                item.line,
                item.key,
                f"{DEFAULT_DESTINATION} is routed via both {names}: only one default route",
            )
    problems = tuple(out.problems)
    if any(p.fatal for p in problems):
        raise ConfigError(problems)
    conf = OsConf(
        source=source,
        hostname=hostname,
        password=password,
        nics=tuple(nics),
        dns=dns,
        classic=1 in nic_keys,
    )
    return conf, problems


def load(data: bytes, source: str = "os.conf") -> Tuple[OsConf, Tuple[Problem, ...]]:
    """Parses and validates in one step; all problems of both stages together."""
    assignments, parse_problems = parse(data, source)
    try:
        conf, warnings = validate(assignments, source)
    except ConfigError as err:
        raise ConfigError(sorted(parse_problems + err.problems, key=lambda p: p.line)) from None
    if any(p.fatal for p in parse_problems):
        raise ConfigError(sorted(parse_problems + warnings, key=lambda p: p.line))
    return conf, tuple(sorted(parse_problems + warnings, key=lambda p: p.line))
