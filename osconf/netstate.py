"""What osconf put into the running network, remembered between runs.

`/var/lib/osconf/network-state.json` (under the target root) lists, per NIC
(keyed by MAC), the addresses and routes the last os.conf asked for. The next
apply removes those the new os.conf no longer wants and nothing else, so
addresses and routes added by the admin or another agent stay. Pure: parsing,
formatting and set arithmetic only; no secrets ever go in here.
"""

import json
import logging
from dataclasses import dataclass
from typing import Optional, Tuple

from osconf.model import Nic, OsConf, Route

log = logging.getLogger(__name__)

STATE_FILE = "/var/lib/osconf/network-state.json"
VERSION = 1


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
    """Per NIC, what the previous os.conf added and the new one does not want."""
    by_key = {state.key: state for state in now}
    out = []
    for old in previous:
        new = by_key.get(old.key, NicState(old.mac, old.name))
        addresses = tuple(a for a in old.addresses if a not in new.addresses)
        routes = tuple(r for r in old.routes if r not in new.routes)
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


def loads(text: Optional[str]) -> Tuple[NicState, ...]:
    """The recorded state; an unreadable record counts as empty (logged).

    Forgetting is the safe direction: an unknown record can only make
    osconf leave an old address in place, never remove a foreign one.
    """
    if not text:
        return ()
    try:
        data = json.loads(text)
        if data.get("version") != VERSION:
            raise ValueError(f"unknown version {data.get('version')!r}")
        return tuple(
            NicState(
                mac=entry["mac"],
                name=str(entry["name"]),
                addresses=tuple(str(a) for a in entry["addresses"]),
                routes=tuple(Route(str(d), str(g)) for d, g in entry["routes"]),
            )
            for entry in data["nics"]
        )
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        log.warning("ignoring %s: cannot read it: %s", STATE_FILE, err)
        return ()
