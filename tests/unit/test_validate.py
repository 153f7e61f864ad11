"""Validation: every class of bad value, all problems at once, classic/VPC."""

import base64
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from osconf.errors import ConfigError
from osconf.model import Nic, OsConf, Route, Secret
from osconf.validate import load

VPC = {
    "hostname": "iZ23r29djmjZ",
    "password": "cXdlcjEyMzQK",
    "eth0_ip_addr": "10.171.254.123",
    "eth0_mac_addr": "00:8c:fa:5e:14:23",
    "eth0_netmask": "255.255.255.0",
    "eth0_gateway": "10.171.254.1",
    "eth0_route": '"0.0.0.0/0 10.171.254.1"',
    "dns_nameserver": '"7.7.7.7 8.8.8.8"',
}


def text(overrides: Optional[Dict[str, Optional[str]]] = None) -> bytes:
    merged: Dict[str, Optional[str]] = {**VPC, **(overrides or {})}
    return "".join(f"{k}={v}\n" for k, v in merged.items() if v is not None).encode()


def problems_of(data: bytes) -> List[str]:
    with pytest.raises(ConfigError) as caught:
        load(data, "os.conf")
    return [str(p) for p in caught.value.problems if p.fatal]


def test_vpc_sample(samples: Path) -> None:
    conf, warnings = load((samples / "vpc.conf").read_bytes())
    assert warnings == ()
    assert conf == OsConf(
        source="os.conf",
        hostname="iZ23r29djmjZ",
        password=Secret("qwer1234"),
        nics=(
            Nic(
                "eth0",
                0,
                "00:8c:fa:5e:14:23",
                "10.171.254.123",
                24,
                "10.171.254.1",
                (Route("0.0.0.0/0", "10.171.254.1"),),
            ),
        ),
        dns=("7.7.7.7", "8.8.8.8"),
        classic=False,
    )
    assert conf.default_route == (conf.nics[0], Route("0.0.0.0/0", "10.171.254.1"))


def test_classic_sample(samples: Path) -> None:
    conf, _ = load((samples / "classic.conf").read_bytes())
    assert conf.classic and conf.network_type == "classic"
    eth0, eth1 = conf.nics
    assert eth0.default_route is None
    assert eth0.static_routes == (
        Route("10.0.0.0/8", "10.171.254.1"),
        Route("172.16.0.0/12", "10.171.254.1"),
    )
    assert conf.default_route == (eth1, Route("0.0.0.0/0", "42.120.74.1"))
    assert eth1.cidr == "42.120.74.105/24" and eth1.network == "42.120.74.0/24"
    assert eth1.netmask == "255.255.255.0"


def test_classic_is_any_eth1_key_even_without_routes() -> None:
    conf, _ = load(
        text({"eth1_ip_addr": "42.120.74.105", "eth1_netmask": "24", "eth0_route": None})
    )
    assert conf.classic


def test_a_classic_default_route_on_eth0_is_an_error() -> None:
    # Issue 13, item 4: it was used silently.
    found = problems_of(text({"eth1_ip_addr": "42.120.74.105", "eth1_netmask": "24"}))
    assert any("eth0_route" in f and "belongs on eth1_route" in f for f in found), found


@pytest.mark.parametrize(
    "gateway,message",
    [
        ("10.171.254.123", "own address"),
        ("10.171.254.0", "network or broadcast"),
        ("10.171.254.255", "network or broadcast"),
        ("0.0.0.0", "not a usable unicast"),
        ("127.0.0.1", "not a usable unicast"),
        ("224.0.0.5", "not a usable unicast"),
        ("255.255.255.255", "not a usable unicast"),
        ("169.254.0.1", "link-local"),
        ("10.9.9.1", "outside the subnet"),
    ],
)
@pytest.mark.parametrize("key", ["eth0_gateway", "eth0_route"])
def test_one_gateway_rule_for_gateways_and_routes(key: str, gateway: str, message: str) -> None:
    # Issue 13, item 4: a default route via the NIC's own or network address
    # was applied (a lock-out), 0.0.0.0 and friends persisted.
    value = gateway if key == "eth0_gateway" else f'"0.0.0.0/0 {gateway}"'
    found = problems_of(text({key: value}))
    assert any(key in f and message in f for f in found), found


@pytest.mark.parametrize(
    "servers", ["0.0.0.0", "255.255.255.255", "224.0.0.251", "8.8.8.8 ff02::1", "::"]
)
def test_unusable_name_servers_are_refused(servers: str) -> None:
    found = problems_of(text({"dns_nameserver": f'"{servers}"'}))
    assert any("not a usable name server" in f for f in found), found


def test_one_address_on_two_nics_is_refused() -> None:
    found = problems_of(
        text({"eth1_ip_addr": "10.171.254.123", "eth1_netmask": "24", "eth0_route": None})
    )
    assert any("more than one NIC" in f and "10.171.254.123" in f for f in found), found


def test_password_strips_exactly_one_newline() -> None:
    for raw, plain in [(b"pw\n", "pw"), (b"pw\r\n", "pw"), (b"pw\n\n", None), (b"pw", "pw")]:
        encoded = base64.b64encode(raw).decode()
        if plain is None:
            assert "line break" in problems_of(text({"password": encoded}))[0]
        else:
            conf, _ = load(text({"password": encoded}))
            assert conf.password is not None and conf.password.reveal() == plain


def test_password_never_in_repr_or_errors() -> None:
    conf, _ = load(text())
    assert "qwer1234" not in repr(conf) and "cXdlcjEyMzQK" not in repr(conf)
    assert "qwer1234" not in f"{conf.password}" and "qwer1234" not in str(conf.password)
    bad = "c2VjcmV0LXZhbHVl!"
    found = problems_of(text({"password": bad}))
    assert bad not in "".join(found)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("password", "!!notbase64", "not valid base64"),
        ("password", "cXdlcjEyMzQ", "not valid base64"),  # missing padding
        ("password", '""', "empty value"),
        ("password", base64.b64encode(b"\n").decode(), "decoded password is empty"),
        ("password", base64.b64encode(b"\xff\xfe\n").decode(), "not valid UTF-8"),
        ("eth0_ip_addr", "10.171.254.256", "octet out of range"),
        ("eth0_ip_addr", "10.171.254", "not a dotted IPv4"),
        ("eth0_ip_addr", "010.171.254.1", "not a dotted IPv4"),
        ("eth0_ip_addr", "127.0.0.1", "not a usable unicast"),
        ("eth0_ip_addr", "224.0.0.1", "not a usable unicast"),
        ("eth0_ip_addr", "10.171.254.0", "network or broadcast"),
        ("eth0_ip_addr", "10.171.254.255", "network or broadcast"),
        ("eth0_netmask", "255.0.255.0", "not contiguous"),
        ("eth0_netmask", "0.0.0.0", "leaves no subnet"),
        ("eth0_netmask", "33", "prefix length must be 1-32"),
        ("eth0_netmask", "255.255.255", "not a dotted IPv4"),
        # Found by the fuzzer: str.isdigit() accepts these, int() does not (or reads 24).
        ("eth0_netmask", "\u00b2", "not a dotted IPv4"),
        ("eth0_netmask", "\u0662\u0664", "not a dotted IPv4"),
        ("eth0_mac_addr", "00:8c:fa:5e:14", "not a MAC"),
        ("eth0_mac_addr", "00:8c:fa:5e:14:zz", "not a MAC"),
        ("eth0_mac_addr", "01:00:5e:00:00:01", "multicast MAC"),
        ("eth0_mac_addr", "00:00:00:00:00:00", "all-zero"),
        ("eth0_mac_addr", "12345", "not a MAC"),
        ("eth0_gateway", "10.171.254.123", "own address"),
        ("eth0_route", '"0.0.0.0/0"', "has no gateway"),
        ("eth0_route", '"10.0.0.1/8 10.171.254.1"', "host bits set"),
        ("eth0_route", '"10.0.0.0 10.171.254.1"', "must be CIDR"),
        ("eth0_route", '"10.0.0.0/33 10.171.254.1"', "bad prefix length"),
        ("eth0_route", '"10.0.0.0/\u00b2 10.171.254.1"', "bad prefix length"),
        ("eth0_route", '"10.0.0.0/8 10.171.254.1 extra"', "must be 'destination gateway'"),
        ("eth0_route", '"10.0.0.0/8 gw"', "not a dotted IPv4"),
        ("eth0_route", '"10.0.0.0/8 10.171.254.1;10.0.0.0/8 10.171.254.2"', "listed twice"),
        ("hostname", "bad_name", "not a valid host name"),
        ("hostname", "-lead", "not a valid host name"),
        ("hostname", "a" * 65, "more than 64"),
        ("hostname", "a." + "b" * 64, "more than 64"),
        ("hostname", "123", "all digits"),
        ("hostname", '""', "empty host name"),
        ("hostname", "'<yourHostName>'", "not a valid host name"),
        ("dns_nameserver", '"7.7.7.7 8.8.8"', "not a dotted IPv4"),
        ("dns_nameserver", '"  "', "no name server"),
        ("dns_nameserver", '"fe80::1::2"', "not an IP address"),
    ],
)
def test_bad_values_name_key_and_line(key: str, value: str, message: str) -> None:
    data = text({key: value})
    lines = data.decode().splitlines()
    line = [n for n, text in enumerate(lines, 1) if text.startswith(key + "=")][0]
    found = problems_of(data)
    assert any(f"os.conf:{line}: error: {key}: " in f and message in f for f in found), found


def test_every_problem_is_reported_at_once() -> None:
    data = text(
        {
            "hostname": "bad_name",
            "password": "%%%",
            "eth0_ip_addr": "1.2.3.999",
            "eth0_netmask": "255.0.255.0",
            "eth0_route": '"0.0.0.0/0"',
            "dns_nameserver": "x",
        }
    )
    found = problems_of(data)
    keys = [f.split(": ")[2].rstrip(":") for f in found]
    assert sorted(keys) == sorted(
        ["hostname", "password", "eth0_ip_addr", "eth0_netmask", "eth0_route", "dns_nameserver"]
    )


def test_missing_required_nic_keys() -> None:
    found = problems_of(text({"eth0_ip_addr": None, "eth0_netmask": None}))
    assert any("eth0_ip_addr: missing" in f for f in found)
    assert any("eth0_netmask: missing" in f for f in found)


def test_eth1_without_eth0() -> None:
    data = b"eth1_ip_addr=42.120.74.105\neth1_netmask=24\n"
    assert any("eth0 is missing" in f for f in problems_of(data))


def test_default_route_on_two_nics_is_an_error() -> None:
    data = text(
        {
            "eth1_ip_addr": "42.120.74.105",
            "eth1_netmask": "24",
            "eth1_route": '"0.0.0.0/0 42.120.74.1"',
        }
    )
    assert any("only one default route" in f for f in problems_of(data))


def test_same_mac_twice_is_an_error() -> None:
    data = text(
        {
            "eth1_ip_addr": "42.120.74.105",
            "eth1_netmask": "24",
            "eth1_mac_addr": "00:8C:FA:5E:14:23",
        }
    )
    assert any("more than one NIC" in f for f in problems_of(data))


def test_warnings_do_not_stop() -> None:
    conf, warnings = load(text({"future_key": "x", "eth0_mac_addr": None}) + b"hostname=second\n")
    messages = [str(w) for w in warnings]
    assert conf.hostname == "second"
    assert any("future_key: unknown key" in m for m in messages)
    assert any("hostname: repeated (first on line 1)" in m for m in messages)
    assert any("matched by name only" in m for m in messages)
    assert conf.nics[0].mac is None


def test_normalisation() -> None:
    conf, _ = load(
        text(
            {
                "eth0_mac_addr": "00-8C-FA-5E-14-23",
                "eth0_netmask": "24",
                "eth0_route": '" 10.0.0.0/8   10.171.254.1 ; 0.0.0.0/0 10.171.254.1 ; "',
                "dns_nameserver": '"7.7.7.7,8.8.8.8 7.7.7.7 2001:DB8::1"',
            }
        )
    )
    nic = conf.nics[0]
    assert nic.mac == "00:8c:fa:5e:14:23" and nic.netmask == "255.255.255.0"
    assert [r.destination for r in nic.routes] == ["10.0.0.0/8", "0.0.0.0/0"]
    assert conf.dns == ("7.7.7.7", "8.8.8.8", "2001:db8::1")


def test_mixed_case_and_fqdn_hostnames() -> None:
    conf, _ = load(text({"hostname": "iZ23r29djmjZ.example.com."}))
    assert conf.hostname == "iZ23r29djmjZ.example.com"


def test_any_nic_number() -> None:
    conf, _ = load(
        text(
            {
                "eth7_ip_addr": "192.168.7.2",
                "eth7_netmask": "24",
                "eth7_mac_addr": "00:8c:fa:5e:14:30",
            }
        )
    )
    assert [n.name for n in conf.nics] == ["eth0", "eth7"]
    assert not conf.classic


def test_empty_file_is_valid_and_asks_for_nothing() -> None:
    conf, warnings = load(b"# nothing\n")
    assert conf == OsConf() and warnings == ()


def test_a_thousand_routes_on_one_line() -> None:
    entries = [f"10.{n // 256}.{n % 256}.0/24 10.171.254.1" for n in range(999)]
    value = '"0.0.0.0/0 10.171.254.1;' + ";".join(entries) + '"'
    conf, _ = load(text({"eth0_route": value}))
    assert len(conf.nics[0].routes) == 1000
    assert conf.nics[0].static_routes[-1] == Route("10.3.230.0/24", "10.171.254.1")
    twice = value.replace("10.0.1.0/24", "10.0.0.0/24")
    assert any("listed twice: 10.0.0.0/24" in p for p in problems_of(text({"eth0_route": twice})))
