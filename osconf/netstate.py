"""What osconf put into the running network, remembered between runs.

`/var/lib/osconf/network-state.json` (under the target root) lists, per NIC
(keyed by MAC), the addresses and routes the last os.conf asked for. The next
apply removes those the new os.conf no longer wants and nothing else, so
addresses and routes added by the admin or another agent stay. Pure: parsing,
formatting and set arithmetic only; no secrets ever go in here.
"""

import ipaddress
import json
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Tuple

from osconf.filekinds import NotRegularFileError
from osconf.model import Nic, OsConf, Route

if TYPE_CHECKING:
    from osconf.view import View

log = logging.getLogger(__name__)

STATE_FILE = "/var/lib/osconf/network-state.json"
VERSION = 1
_MAX_ENTRIES = 256
_MAC = re.compile(r"\A[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}\Z")
_NAME = re.compile(r"\A[A-Za-z0-9_.:-]{1,32}\Z")


@dataclass(frozen=True)
class NicState:
    """The addresses ("a.b.c.d/n") and routes osconf keeps on one NIC."""

    mac: Optional[str]
    name: str  # os.conf's name (eth0); used to find the NIC when there is no MAC
    addresses: Tuple[str, ...] = ()
    routes: Tuple[Route, ...] = ()

    @property
    def key(self) -> str:
        return self.mac or f"name:{self.name}"


def wanted(conf: OsConf) -> Tuple[NicState, ...]:
    """What os.conf asks for, in the state file's terms."""
    return tuple(_nic_state(nic) for nic in conf.nics)


def _nic_state(nic: Nic) -> NicState:
    return NicState(nic.mac, nic.name, (nic.cidr,), nic.routes)


def stale(previous: Tuple[NicState, ...], now: Tuple[NicState, ...]) -> Tuple[NicState, ...]:
    """Per NIC, what the previous os.conf added and the new one does not want.

    A previous default route stays when the new os.conf asks for none at
    all: removing it would leave the instance with no default route, and
    unreachable (an os.conf without `0.0.0.0/0` does not ask for that).
    """
    by_key = {state.key: state for state in now}
    wants_default = any(route.is_default for state in now for route in state.routes)
    out = []
    for old in previous:
        new = by_key.get(old.key, NicState(old.mac, old.name))
        addresses = tuple(a for a in old.addresses if a not in new.addresses)
        routes = tuple(
            r for r in old.routes if r not in new.routes and (wants_default or not r.is_default)
        )
        if addresses or routes:
            out.append(NicState(old.mac, old.name, addresses, routes))
    return tuple(out)


def dumps(states: Tuple[NicState, ...]) -> str:
    nics = [
        {
            "mac": state.mac,
            "name": state.name,
            "addresses": list(state.addresses),
            "routes": [[r.destination, r.gateway] for r in state.routes],
        }
        for state in states
    ]
    return json.dumps({"version": VERSION, "nics": nics}, indent=2, sort_keys=True) + "\n"


def read(view: "View") -> Tuple[Tuple[NicState, ...], bool]:
    """The recorded state under the target root, and whether the record is
    damaged (to be moved aside when the new one is written). A record that
    cannot be read at all is a warning and counts as empty; a directory,
    FIFO or device in its place counts as damaged too."""
    try:
        text = view.read_text(STATE_FILE)
    except (OSError, ValueError) as err:
        log.warning("ignoring %s: cannot read it: %s", STATE_FILE, err)
        return (), isinstance(err, (IsADirectoryError, NotRegularFileError))
    return parse(text)


def loads(text: Optional[str]) -> Tuple[NicState, ...]:
    """The recorded state (see `parse`)."""
    return parse(text)[0]


def parse(text: Optional[str]) -> Tuple[Tuple[NicState, ...], bool]:
    """The recorded state, and whether the record is damaged.

    Forgetting is the safe direction: an unknown record can only make
    osconf leave an old address in place, never remove a foreign one. The
    record is input like any file of the image: every entry is checked
    (a MAC where a MAC belongs, addresses and routes that are IPv4), a bad
    entry is dropped alone (a warning), and nothing in it can fail the run.
    Damaged -- not JSON, not this version's shape, an entry dropped -- means
    the file is to be kept aside for the operator, not overwritten.
    """
    if not text:
        return (), False
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as err:
        log.warning("ignoring %s: cannot read it: %s", STATE_FILE, str(err)[:200])
        return (), True
    if not isinstance(data, dict) or data.get("version") != VERSION:
        log.warning("ignoring %s: not a version %d record", STATE_FILE, VERSION)
        return (), True
    entries = data.get("nics")
    if not isinstance(entries, list):
        log.warning("ignoring %s: no list of NICs in it", STATE_FILE)
        return (), True
    out = []
    for entry in entries[:_MAX_ENTRIES]:
        try:
            out.append(_entry(entry))
        except (ValueError, TypeError, KeyError) as err:
            log.warning("%s: ignoring a damaged entry: %s", STATE_FILE, str(err)[:200])
    return tuple(out), len(out) != len(entries)


def _entry(entry: Any) -> NicState:
    if not isinstance(entry, dict):
        raise TypeError("not an object")
    mac = entry.get("mac")
    if mac is not None and (not isinstance(mac, str) or not _MAC.match(mac)):
        raise ValueError(f"not a MAC address: {mac!r}"[:100])
    name = entry["name"]
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"not a NIC name: {name!r}"[:100])
    addresses = entry.get("addresses", [])
    routes = entry.get("routes", [])
    if not isinstance(addresses, list) or not isinstance(routes, list):
        raise TypeError("addresses and routes must be lists")
    for address in addresses:
        ipaddress.IPv4Interface(_text(address))
    parsed = []
    for route in routes:
        if not isinstance(route, list) or len(route) != 2:
            raise TypeError("a route is [destination, gateway]")
        destination, gateway = _text(route[0]), _text(route[1])
        ipaddress.IPv4Network(destination)
        ipaddress.IPv4Address(gateway)
        parsed.append(Route(destination, gateway))
    return NicState(
        mac.lower() if mac else None, name, tuple(str(a) for a in addresses), tuple(parsed)
    )


def _text(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 64:
        raise TypeError(f"not an address: {value!r}"[:100])
    return value
