"""The running network: make the kernel match os.conf now, without a restart.

Planned as data (actions below), executed over netlink through
`System.netlink()` (pyroute2 is loaded only then). Order matters for never
cutting off a reachable instance:

1. `ConfigureNic` per NIC: find it by MAC (waiting a bounded time), bring it
   up, replace its address, replace its routes; read back to verify.
2. `SetDefaultRoute`: one atomic `replace` of the metric-0 default route, so
   there is never a moment without one (classic: via eth1; VPC: via eth0).
3. `RemoveStale` per NIC: what the previous os.conf added and this one does
   not want, only once what this one wants is verified in place.
4. `RecordNetworkState`: the state file the next run's step 3 works from.

Only what differs is changed: a second apply of the same file sends no
netlink request that changes anything.
"""

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, List, Optional, Set, Tuple

from osconf import netstate
from osconf.actions import Action
from osconf.model import OsConf, Route
from osconf.netstate import NicState

if TYPE_CHECKING:
    from osconf.netlink import Address, KernelRoute, Link, Netlink
    from osconf.options import Options
    from osconf.system import System
    from osconf.view import View

log = logging.getLogger(__name__)


def live_actions(conf: OsConf, view: "View", options: "Options") -> Tuple[Action, ...]:
    """The live network steps for `conf`, given what the last run recorded."""
    previous, damaged = netstate.read(view)
    wanted = netstate.wanted(conf)
    actions: List[Action] = [
        ConfigureNic(
            nic.name, nic.mac, nic.address, nic.prefixlen, nic.static_routes, options.nic_timeout
        )
        for nic in conf.nics
    ]
    default = conf.default_route
    if default is not None:
        nic, route = default
        actions.append(SetDefaultRoute(nic.name, nic.mac, route.gateway, options.nic_timeout))
    by_key = {state.key: state for state in wanted}
    for old in netstate.stale(previous, wanted):
        keep = by_key.get(old.key)
        actions.append(
            RemoveStale(
                old.name,
                old.mac,
                old.addresses,
                old.routes,
                keep.addresses[0] if keep else None,
                default[1].gateway if default else None,
            )
        )
    actions.append(RecordNetworkState(wanted, previous, damaged))
    return tuple(actions)


def _label(name: str, mac: Optional[str]) -> str:
    return f"{name} ({mac})" if mac else f"{name} (by name, no MAC given)"


def _in_subnet(address: str, cidr: str) -> bool:
    def value(dotted: str) -> int:
        a, b, c, d = (int(o) for o in dotted.split("."))
        return (a << 24) | (b << 16) | (c << 8) | d

    network, prefixlen = cidr.split("/")
    mask = (0xFFFFFFFF << (32 - int(prefixlen))) & 0xFFFFFFFF
    return value(address) & mask == value(network) & mask


def broadcast(address: str, prefixlen: int) -> Optional[str]:
    """The subnet's broadcast address, as every network stack sets it.

    Without it the kernel's address differs from the one the running manager
    (systemd-networkd, NetworkManager) would configure, and a manager that
    then tries to "fix" it can loop. /31 and /32 have none (RFC 3021).
    """
    if prefixlen > 30:
        return None
    a, b, c, d = (int(o) for o in address.split("."))
    value = (a << 24) | (b << 16) | (c << 8) | d
    value |= (1 << (32 - prefixlen)) - 1
    return ".".join(str((value >> shift) & 0xFF) for shift in (24, 16, 8, 0))


def _has_address(addresses: "List[Address]", address: str, prefixlen: int) -> bool:
    return any(a.address == address and a.prefixlen == prefixlen for a in addresses)


def _route_keys(routes: "List[KernelRoute]") -> Set[Tuple[str, Optional[str], Optional[int]]]:
    """The metric-0 routes as a set, for constant-time look-ups (1,000 routes)."""
    return {(r.destination, r.gateway, r.oif) for r in routes if r.metric == 0}


def _has_route(
    keys: Set[Tuple[str, Optional[str], Optional[int]]], link: "Link", route: Route
) -> bool:
    return (route.destination, route.gateway, link.index) in keys


def _find(netlink: "Netlink", name: str, mac: Optional[str], timeout: float) -> "Link":
    link = netlink.find_link(mac, name, timeout)
    if link is None:
        what = f"no NIC with MAC {mac}" if mac else f"no NIC named {name}"
        raise LookupError(f"{name}: {what} appeared within {timeout:g} s")
    return link


@dataclass(frozen=True)
class ConfigureNic:
    """Up, address and non-default routes of one NIC, found by MAC."""

    name: str
    mac: Optional[str]
    address: str
    prefixlen: int
    routes: Tuple[Route, ...]
    timeout: float

    def describe(self) -> str:
        routes = "".join(f", route {r.destination} via {r.gateway}" for r in self.routes)
        return (
            f"live: {_label(self.name, self.mac)} up, "
            f"address {self.address}/{self.prefixlen}{routes}"
        )

    def execute(self, system: "System") -> bool:
        netlink = system.netlink()
        link = _find(netlink, self.name, self.mac, self.timeout)
        changed = False
        if not link.up:
            netlink.set_up(link)
            changed = True
        current = [
            a
            for a in netlink.addresses(link.index)
            if a.address == self.address and a.prefixlen == self.prefixlen
        ]
        # A lease with a lifetime would expire: replacing makes it permanent.
        if not any(a.permanent for a in current):
            netlink.replace_address(
                link, self.address, self.prefixlen, broadcast(self.address, self.prefixlen)
            )
            changed = True
        cidr = f"{self.address}/{self.prefixlen}"
        routes = _route_keys(netlink.routes())
        for route in self.routes:
            if not _has_route(routes, link, route):
                onlink = not _in_subnet(route.gateway, cidr)
                netlink.replace_route(link, route.destination, route.gateway, onlink)
                changed = True
        if changed:
            self._verify(netlink, link)
            log.info("live: %s is %s as %s", self.name, cidr, link.name)
        return changed

    def _verify(self, netlink: "Netlink", link: "Link") -> None:
        if not _has_address(netlink.addresses(link.index), self.address, self.prefixlen):
            raise OSError(f"{self.name}: {self.address}/{self.prefixlen} is not on {link.name}")
        routes = _route_keys(netlink.routes())
        missing = [r.destination for r in self.routes if not _has_route(routes, link, r)]
        if missing:
            raise OSError(f"{self.name}: routes missing on {link.name}: {', '.join(missing)}")


@dataclass(frozen=True)
class SetDefaultRoute:
    """The metric-0 default route, replaced in one step (never absent)."""

    name: str
    mac: Optional[str]
    gateway: str
    timeout: float

    def describe(self) -> str:
        return f"live: default route via {self.gateway} on {_label(self.name, self.mac)}"

    def execute(self, system: "System") -> bool:
        netlink = system.netlink()
        link = _find(netlink, self.name, self.mac, self.timeout)
        route = Route("0.0.0.0/0", self.gateway)
        if _has_route(_route_keys(netlink.routes()), link, route):
            return False
        addresses = netlink.addresses(link.index)
        onlink = not any(_in_subnet(self.gateway, f"{a.address}/{a.prefixlen}") for a in addresses)
        netlink.replace_route(link, route.destination, route.gateway, onlink)
        if not _has_route(_route_keys(netlink.routes()), link, route):
            raise OSError(f"the default route via {self.gateway} is not in place")
        log.info("live: default route via %s dev %s", self.gateway, link.name)
        return True


@dataclass(frozen=True)
class RemoveStale:
    """Removes what the previous os.conf added on a NIC and this one does not want.

    Only once this os.conf's own address for the NIC (`keep_address`) and the
    default route (`keep_default`, a gateway) are in place: if setting them
    failed, the old ones stay so the instance stays reachable.
    """

    name: str
    mac: Optional[str]
    addresses: Tuple[str, ...]
    routes: Tuple[Route, ...]
    keep_address: Optional[str]
    keep_default: Optional[str]

    def describe(self) -> str:
        items = [f"address {a}" for a in self.addresses] + [
            f"route {r.destination} via {r.gateway}" for r in self.routes
        ]
        return (
            f"live: remove from {_label(self.name, self.mac)} what the previous os.conf "
            f"added: {', '.join(items)}"
        )

    def execute(self, system: "System") -> bool:
        from osconf.netlink import pick_link

        netlink = system.netlink()
        link = pick_link(netlink.links(), self.mac, self.name)
        if link is None:
            return False  # the NIC is gone, and with it what was on it
        self._check_replacements(netlink, link)
        changed = False
        routes = _route_keys(netlink.routes())
        for route in self.routes:
            if _has_route(routes, link, route):
                netlink.delete_route(link, route.destination, route.gateway)
                log.info(
                    "live: removed route %s via %s from %s",
                    route.destination,
                    route.gateway,
                    link.name,
                )
                changed = True
        for cidr in self.addresses:
            address, prefixlen = cidr.split("/")
            present = netlink.addresses(link.index)
            if not _has_address(present, address, int(prefixlen)):
                continue
            if any(
                a.prefixlen == int(prefixlen)
                and a.address != address
                and _in_subnet(a.address, cidr)
                for a in present
            ):
                netlink.promote_secondaries(link)
            netlink.delete_address(link, address, int(prefixlen))
            log.info("live: removed %s from %s", cidr, link.name)
            changed = True
        return changed

    def _check_replacements(self, netlink: "Netlink", link: "Link") -> None:
        addresses = netlink.addresses(link.index)
        if self.keep_address is not None:
            address, prefixlen = self.keep_address.split("/")
            if not _has_address(addresses, address, int(prefixlen)):
                raise OSError(
                    f"{self.name}: keeping the previous addresses: {self.keep_address} "
                    "is not in place"
                )
        if self.keep_default is not None and any(r.is_default for r in self.routes):
            if not any(
                r.destination == "0.0.0.0/0" and r.gateway == self.keep_default and r.metric == 0
                for r in netlink.routes()
            ):
                raise OSError(
                    f"{self.name}: keeping the previous default route: the one via "
                    f"{self.keep_default} is not in place"
                )


@dataclass(frozen=True)
class RecordNetworkState:
    """Writes what os.conf now owns in the running network (no secrets).

    Anything the previous os.conf added that is still present (its removal
    failed or was held back) stays recorded, so a later run removes it.
    """

    wanted: Tuple[NicState, ...]
    previous: Tuple[NicState, ...]
    damaged: bool = False  # the current record is damaged: moved aside first

    def describe(self) -> str:
        aside = " (the damaged one moved aside)" if self.damaged else ""
        return f"record the live network osconf manages in {netstate.STATE_FILE}{aside}"

    def execute(self, system: "System") -> bool:
        gone = netstate.stale(self.previous, self.wanted)
        leftovers = self._leftovers(system.netlink(), gone) if gone else ()
        merged = {state.key: state for state in self.wanted}
        for left in leftovers:
            base = merged.get(left.key, NicState(left.mac, left.name))
            merged[left.key] = NicState(
                base.mac, base.name, base.addresses + left.addresses, base.routes + left.routes
            )
        if self.damaged:
            from osconf.damaged import move_aside

            move_aside(system, netstate.STATE_FILE)
        return system.write_file(
            netstate.STATE_FILE, netstate.dumps(tuple(merged.values())), backup=False
        )

    def _leftovers(self, netlink: "Netlink", gone: Tuple[NicState, ...]) -> Tuple[NicState, ...]:
        from osconf.netlink import pick_link

        links = netlink.links()
        addresses = netlink.addresses()
        routes = _route_keys(netlink.routes())
        out = []
        for old in gone:
            link = pick_link(links, old.mac, old.name)
            if link is None:
                continue
            left_addresses = tuple(
                a
                for a in old.addresses
                if any(
                    x.index == link.index and f"{x.address}/{x.prefixlen}" == a for x in addresses
                )
            )
            left_routes = tuple(r for r in old.routes if _has_route(routes, link, r))
            if left_addresses or left_routes:
                out.append(NicState(old.mac, old.name, left_addresses, left_routes))
        return tuple(out)
