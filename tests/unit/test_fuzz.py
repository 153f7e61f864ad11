"""Property-based fuzzing of the parser and validator.

Whatever bytes arrive as os.conf, `osconf.validate.load` either returns a
configuration or raises `ConfigError`; never another exception. No
hypothesis deadline: a busy CI machine must not fail a correct parser
(speed is measured in bench/, and a hang would stop the run). Inputs: arbitrary bytes, and
structured mutations of the spec's samples (truncation, random bytes, huge
lines, NULs, CRLF, every key with every kind of bad value). Two round-trip
properties check that what a writer quotes the shell way reads back equal.

The suite runs the short profile `ci`; the long run is
`HYPOTHESIS_PROFILE=fuzz-long bench/fuzz.sh` (see bench/fuzz.sh).
"""

import base64
import os
import shlex
from typing import Dict, List, Tuple

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from osconf.errors import ConfigError
from osconf.model import Nic, OsConf, Route, Secret
from osconf.parse import MAX_BYTES, MAX_LINE, parse
from osconf.validate import load
from tests.conftest import SAMPLES

settings.register_profile("ci", max_examples=150, deadline=None, print_blob=True)
# 7 properties x 20,000 examples: well over 100,000 inputs in one run.
settings.register_profile(
    "fuzz-long",
    max_examples=20_000,
    deadline=None,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)
PROFILE = settings(
    settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SAMPLE_FILES = tuple((SAMPLES / n).read_bytes() for n in ("vpc.conf", "classic.conf"))
KEYS = (
    "hostname",
    "password",
    "dns_nameserver",
    *(
        f"eth{n}_{f}"
        for n in (0, 1, 7)
        for f in ("ip_addr", "mac_addr", "netmask", "gateway", "route")
    ),
    "unknown_key",
)
# Each kind of value a careless or hostile writer could produce.
BAD_VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            '""',
            "''",
            '"',
            "'",
            "\\",
            "$(reboot)",
            "`id`",
            "${HOME}",
            "a;b",
            "a|b",
            "<x>",
            "a b",
            '"a b',
            "256.1.1.1",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "0.0.0.0",
            "255.255.255.255",
            "-1",
            "33",
            "0",
            "²",
            "٢٤",
            "24 ",
            "0x18",
            "255.0.255.0",
            "10.0.0.1/8 10.0.0.1",
            "0.0.0.0/0",
            '"0.0.0.0/0 1.1.1.1;0.0.0.0/0 1.1.1.1"',
            '"10.0.0.0/33 1.1.1.1"',
            '"10.0.0.0/² 1.1.1.1"',
            "00:00:00:00:00:00",
            "01:00:5e:00:00:01",
            "00:8c:fa:5e:14",
            "00-8C-FA-5E-14-23",
            "008c.fa5e.1423",
            "008cfa5e1423",
            "ff:ff:ff:ff:ff:ff",
            "::1",
            '"fe80::1 zz::1"',
            "a" * 70,
            "-host",
            "host-",
            "1.2.3.4",
            "=====",
            "cXdlcjEyMzQ",
            "AA==",
            "Cg==",
            "DQo=",
            "/w==",
            "AAo=",
            "\u00e9",
            "\ufeff",
            "\u200b",
            "#",
            "a#b",
            "'a'\"b\"c",
        ]
    ),
    st.text(max_size=40),
    st.text(alphabet="0123456789./:; -abcdef", max_size=40),
    st.integers(0, 2 * MAX_LINE).map(lambda n: "9" * n),
)


def _check(data: bytes) -> None:
    """The property: success, or a ConfigError whose problems point into the file."""
    try:
        conf, warnings = load(data, "fuzz.conf")
    except ConfigError as err:
        assert err.problems and any(p.fatal for p in err.problems)
        problems = err.problems
        str(err)
    else:
        assert isinstance(conf, OsConf)
        repr(conf)
        problems = warnings
    lines = data.count(b"\n") + 1
    for problem in problems:
        assert 0 <= problem.line <= lines, problem
        assert problem.source == "fuzz.conf"
        str(problem)


@PROFILE
@given(st.binary(max_size=4096))
def test_arbitrary_bytes(data: bytes) -> None:
    _check(data)


@PROFILE
@given(st.sampled_from(SAMPLE_FILES), st.data())
def test_mutated_samples(sample: bytes, draw: st.DataObject) -> None:
    data = bytearray(sample)
    for _ in range(draw.draw(st.integers(1, 4), label="mutations")):
        kind = draw.draw(
            st.sampled_from(["truncate", "insert", "flip", "nul", "crlf", "bom", "dup", "huge"])
        )
        at = draw.draw(st.integers(0, len(data)))
        if kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw.draw(st.binary(min_size=1, max_size=16))
        elif kind == "flip" and at < len(data):
            data[at] ^= draw.draw(st.integers(1, 255))
        elif kind == "nul":
            data[at:at] = b"\0"
        elif kind == "crlf":
            data = bytearray(bytes(data).replace(b"\n", b"\r\n"))
        elif kind == "bom":
            data[0:0] = b"\xef\xbb\xbf"
        elif kind == "dup":
            data += bytes(data[at:])
        elif kind == "huge":
            size = draw.draw(st.sampled_from([MAX_LINE - 1, MAX_LINE, MAX_LINE + 1, 100_000]))
            data[at:at] = b"x" * size
    _check(bytes(data))


@PROFILE
@given(st.lists(st.tuples(st.sampled_from(KEYS), BAD_VALUES), min_size=1, max_size=12), st.data())
def test_every_key_with_bad_values(pairs: List[Tuple[str, str]], draw: st.DataObject) -> None:
    lines = SAMPLE_FILES[draw.draw(st.integers(0, 1))].decode().splitlines()
    for key, value in pairs:
        quoted = draw.draw(st.sampled_from([value, shlex.quote(value), f'"{value}"']))
        line = f"{key}={quoted}"
        keep = [n for n in lines if not n.startswith(key + "=")]
        lines = keep + [line] if draw.draw(st.booleans()) else lines + [line]
    _check(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"))


@PROFILE
@given(st.sampled_from([MAX_BYTES - 1, MAX_BYTES, MAX_BYTES + 1]), st.sampled_from(KEYS))
def test_huge_files(size: int, key: str) -> None:
    line = f"{key}=" + "1" * (MAX_LINE - len(key) - 2) + "\n"
    body = (line * (size // len(line) + 1)).encode()[:size]
    _check(body)


@PROFILE
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=64))
def test_password_value_never_echoed(text: str) -> None:
    # Whatever the password line holds, valid or not, no problem text quotes it.
    assume("\n" not in text and "\r" not in text)
    marker = f"Zx{text}Qj"
    data = SAMPLE_FILES[0].replace(b"cXdlcjEyMzQK", shlex.quote(marker).encode("utf-8"))
    try:
        _, problems = load(data, "os.conf")
    except ConfigError as err:
        problems = err.problems
        assert marker not in str(err)
    for problem in problems:
        assert marker not in str(problem)


# -- round trips ---------------------------------------------------------------

VALUE = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0\n"))
NAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True)


@PROFILE
@given(st.lists(st.tuples(NAME, VALUE), max_size=10))
def test_shell_quoted_values_parse_back(pairs: List[Tuple[str, str]]) -> None:
    text = "".join(f"{key}={shlex.quote(value)}\n" for key, value in pairs)
    assignments, problems = parse(text.encode("utf-8"))
    assert problems == ()
    assert [(a.key, a.value) for a in assignments] == pairs
    assert [a.line for a in assignments] == list(range(1, len(pairs) + 1))


def _dotted(value: int) -> str:
    return ".".join(str((value >> s) & 0xFF) for s in (24, 16, 8, 0))


@st.composite
def nics(draw: "st.DrawFn", index: int, default: bool) -> Tuple[Nic, Dict[str, str]]:
    prefix = draw(st.integers(8, 30))
    size = 1 << (32 - prefix)
    base = draw(st.integers(1, 223)) << 24 | draw(st.integers(0, (1 << 24) - 1))
    net = base & ~(size - 1) & 0xFFFFFFFF
    assume(net >> 24 not in (0, 127))
    address, gateway = draw(st.lists(st.integers(1, size - 2), min_size=2, max_size=2, unique=True))
    mac_bytes = draw(st.binary(min_size=6, max_size=6))
    mac_bytes = bytes([mac_bytes[0] & 0xFE | 0x02]) + mac_bytes[1:]
    mac = ":".join(f"{b:02x}" for b in mac_bytes)
    gw = _dotted(net + gateway)
    routes = []
    if default:
        routes.append(Route("0.0.0.0/0", gw))
    for bits in draw(st.lists(st.integers(8, 32), max_size=3)):
        dst = draw(st.integers(1, 223)) << 24 & (0xFFFFFFFF << (32 - bits)) & 0xFFFFFFFF
        routes.append(Route(f"{_dotted(dst)}/{bits}", gw))
    assume(len({r.destination for r in routes}) == len(routes))
    nic = Nic(f"eth{index}", index, mac, _dotted(net + address), prefix, gw, tuple(routes))
    mask = draw(st.sampled_from([str(prefix), nic.netmask]))
    route_text = ";".join(f"{r.destination} {r.gateway}" for r in routes)
    keys = {
        "ip_addr": nic.address,
        "mac_addr": draw(st.sampled_from([mac, mac.upper(), mac.replace(":", "-")])),
        "netmask": mask,
        "gateway": gw,
        "route": route_text + draw(st.sampled_from(["", ";", " ; "])),
    }
    if not routes:
        del keys["route"]
    return nic, {f"eth{index}_{k}": v for k, v in keys.items()}


LABEL = st.from_regex(r"[A-Za-z]([A-Za-z0-9-]{0,10}[A-Za-z0-9])?", fullmatch=True)


@PROFILE
@given(
    st.lists(LABEL, min_size=1, max_size=3).map(".".join),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\0\r\n"),
        min_size=1,
    ),
    st.booleans(),
    st.lists(st.integers(1, 0xDFFFFFFF).map(_dotted), min_size=1, max_size=3, unique=True),
    st.data(),
)
def test_conf_written_shell_style_loads_equal(
    hostname: str, password: str, classic: bool, dns: List[str], draw: st.DataObject
) -> None:
    assume(len(hostname) <= 64 and not all(p.isdigit() for p in hostname.split(".")))
    first, first_keys = draw.draw(nics(0, default=not classic))
    assignments = {
        "hostname": hostname,
        "password": base64.b64encode(password.encode() + b"\n").decode(),
        **first_keys,
        "dns_nameserver": " ".join(dns),
    }
    expected_nics = (first,)
    if classic:
        second, second_keys = draw.draw(nics(1, default=True))
        # One address per NIC: the validator refuses an address given twice.
        assume(second.mac != first.mac and second.address != first.address)
        assignments.update(second_keys)
        expected_nics = (first, second)
    order = draw.draw(st.permutations(list(assignments)))
    ending = draw.draw(st.sampled_from(["\n", "\r\n"]))
    text = "".join(f"{k}={shlex.quote(assignments[k])}{ending}" for k in order)
    conf, _ = load(text.encode("utf-8"), "os.conf")
    assert conf == OsConf("os.conf", hostname, Secret(password), expected_nics, tuple(dns), classic)
