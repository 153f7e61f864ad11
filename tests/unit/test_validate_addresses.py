"""The validator's IPv4 and MAC checks against netaddr's answers.

The validator checks dotted IPv4 and 48-bit MACs with integer arithmetic
(importing netaddr costs more than the rest of an offline apply); netaddr,
the project's address library, is the oracle here: for every input the
strict textual checks let through, both must agree on acceptance, the
canonical form and each address class.
"""

import re
from typing import Optional

import netaddr
import pytest
from hypothesis import given
from hypothesis import strategies as st

from osconf import validate
from osconf.model import Nic

# The textual forms, as regular expressions: the validator checks them with
# string methods (cheaper to load), held here to these definitions.
DOTTED_RE = re.compile(r"(0|[1-9][0-9]{0,2})(\.(0|[1-9][0-9]{0,2})){3}")
LABEL_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
NIC_KEY_RE = re.compile(r"eth(0|[1-9][0-9]{0,2})_(ip_addr|mac_addr|netmask|gateway|route)")

OCTET = st.one_of(st.integers(0, 255), st.sampled_from([0, 1, 127, 169, 224, 240, 254, 255]))
DOTTED = st.tuples(OCTET, OCTET, OCTET, OCTET).map(lambda o: ".".join(map(str, o)))
TEXT = st.one_of(
    DOTTED,
    st.tuples(*[st.integers(0, 999)] * 4).map(lambda o: ".".join(map(str, o))),
    st.text(alphabet="0123456789.", max_size=16),
)
PREFIX = st.integers(1, 32)


def outcome(check, value):  # type: ignore[no-untyped-def]
    try:
        return True, check(value)
    except validate._Invalid as err:
        return False, str(err)


def oracle_unicast(text: str) -> Optional[str]:
    """None when netaddr says `text` is a usable unicast IPv4 address."""
    ip = netaddr.IPAddress(text, 4)
    if ip.is_multicast() or ip.is_loopback() or text in ("0.0.0.0", "255.255.255.255"):
        return "unusable"
    if ip in netaddr.IPNetwork("240.0.0.0/4"):
        return "reserved"
    return None


@given(TEXT)
def test_ipv4_and_unicast_agree_with_netaddr(text: str) -> None:
    ok, value = outcome(validate._ipv4, text)
    if not DOTTED_RE.fullmatch(text):
        assert not ok
        return
    try:
        expected = str(netaddr.IPAddress(text, 4))
    except (netaddr.AddrFormatError, ValueError):
        assert not ok and "out of range" in value
        return
    assert (ok, value) == (True, expected)
    ok, value = outcome(validate._unicast, text)
    verdict = oracle_unicast(text)
    assert ok == (verdict is None), value
    if verdict == "reserved":
        assert "240.0.0.0/4 is reserved" in value


@given(DOTTED, DOTTED, PREFIX)
def test_gateway_problem_agrees_with_netaddr(gateway: str, address: str, prefixlen: int) -> None:
    problem = validate.gateway_problem(gateway, address, prefixlen)
    ip = netaddr.IPAddress(gateway)
    subnet = netaddr.IPNetwork(f"{address}/{prefixlen}")
    if oracle_unicast(gateway) is not None:
        assert problem is not None and "unicast" in problem
    elif ip in netaddr.IPNetwork("169.254.0.0/16"):
        assert problem == f"{gateway} is link-local, not a gateway of {address}/{prefixlen}"
    elif gateway == address:
        assert problem == f"{gateway} is the NIC's own address"
    elif prefixlen < 31 and ip in (subnet.network, subnet.broadcast):
        assert problem == f"{gateway} is the network or broadcast address of {subnet.cidr}"
    elif ip not in subnet:
        assert (
            problem == f"{gateway} is outside the subnet {subnet.cidr}: not reachable on this link"
        )
    else:
        assert problem is None


@given(st.one_of(TEXT, st.text(max_size=20)))
def test_dotted_form(text: str) -> None:
    assert validate._dotted(text) == bool(DOTTED_RE.fullmatch(text))


LABEL_TEXT = st.one_of(
    st.text(alphabet="aZ09-", max_size=70),
    st.text(max_size=8),
    st.just("a" * 63),
    st.just("a" * 64),
)


@given(LABEL_TEXT)
def test_host_name_label_form(text: str) -> None:
    assert validate._label(text) == bool(LABEL_RE.fullmatch(text))


FIELD = st.sampled_from(["ip_addr", "mac_addr", "netmask", "gateway", "route", "x", "", "ip"])
KEY = st.one_of(
    st.builds(lambda n, f: f"eth{n}_{f}", st.text(alphabet="0123456789²_", max_size=5), FIELD),
    st.text(max_size=16),
)


@given(KEY)
def test_nic_key_form(key: str) -> None:
    match = NIC_KEY_RE.fullmatch(key)
    expected = (int(match.group(1)), match.group(2)) if match else None
    assert validate.nic_key(key) == expected


# Every contiguous mask, and arbitrary values (almost never contiguous).
MASK = st.one_of(
    st.integers(0, 32).map(lambda b: (0xFFFFFFFF << (32 - b)) & 0xFFFFFFFF),
    st.integers(0, 0xFFFFFFFF),
)


@given(MASK)
def test_netmask_agrees_with_netaddr(value: int) -> None:
    text = str(netaddr.IPAddress(value, 4))
    ok, bits = outcome(validate._prefixlen, text)
    mask = netaddr.IPAddress(text)
    if not mask.is_netmask() or mask.netmask_bits() == 0:
        assert not ok
    else:
        assert (ok, bits) == (True, mask.netmask_bits())


@given(DOTTED, st.integers(0, 32))
def test_cidr_agrees_with_netaddr(address: str, prefixlen: int) -> None:
    text = f"{address}/{prefixlen}"
    ok, value = outcome(validate._cidr, text)
    network = netaddr.IPNetwork(text)
    if network.ip != network.network:
        assert (ok, value) == (
            False,
            f"route destination has host bits set: {text} (network is {network.cidr})",
        )
    else:
        assert (ok, value) == (True, str(network.cidr))


@given(DOTTED, PREFIX)
def test_network_and_broadcast_addresses(address: str, prefixlen: int) -> None:
    nic = Nic(name="eth0", index=0, mac=None, address=address, prefixlen=prefixlen)
    subnet = netaddr.IPNetwork(f"{address}/{prefixlen}")
    assert nic.network == str(subnet.cidr)
    assert nic.netmask == str(subnet.netmask)


HEX = st.text(alphabet="0123456789abcdefABCDEF", min_size=12, max_size=12)


@given(HEX, st.sampled_from([":", "-", ".", ""]))
def test_mac_agrees_with_netaddr(digits: str, separator: str) -> None:
    if separator == ".":
        text = ".".join(digits[i : i + 4] for i in range(0, 12, 4))
    else:
        text = separator.join(digits[i : i + 2] for i in range(0, 12, 2))
    ok, value = outcome(validate._mac, text)
    eui = netaddr.EUI(text, dialect=netaddr.mac_unix_expanded)
    canonical = str(eui).lower()
    if int(eui) == 0:
        assert (ok, value) == (False, "all-zero MAC address")
    elif int(canonical[:2], 16) & 1:
        assert not ok and "multicast" in value
    else:
        assert (ok, value) == (True, canonical)


@pytest.mark.parametrize(
    "servers, expected",
    [
        ("7.7.7.7 8.8.8.8", ("7.7.7.7", "8.8.8.8")),
        ("2001:DB8::1, 7.7.7.7", ("2001:db8::1", "7.7.7.7")),
    ],
)
def test_name_servers_ipv6_through_netaddr(servers: str, expected: tuple) -> None:
    assert validate._dns(servers) == expected


@pytest.mark.parametrize(
    "server", ["224.0.0.1", "240.0.0.1", "0.0.0.0", "255.255.255.255", "ff02::1", "::"]
)
def test_unusable_name_servers(server: str) -> None:
    ok, message = outcome(validate._dns, server)
    assert not ok and "not a usable name server address" in message
