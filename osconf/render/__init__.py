"""Persisted network configuration, one renderer per network stack.

(Filled in by the network-stacks work: detection, registry, renderers.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from osconf.actions import Action
from osconf.model import OsConf

if TYPE_CHECKING:
    from osconf.plan import Options, View
    from osconf.system import System


@dataclass(frozen=True)
class NetworkIntent:
    """The network os.conf asks for, carried in the plan."""

    conf: OsConf

    def describe(self) -> str:
        parts = [
            f"{nic.name} ({nic.mac or 'by name'}) {nic.cidr}"
            + "".join(f", {r.destination} via {r.gateway}" for r in nic.routes)
            for nic in self.conf.nics
        ]
        return f"network ({self.conf.network_type}): " + "; ".join(parts)

    def execute(self, system: System) -> bool:
        return False


def persist_actions(conf: OsConf, view: View, options: Options) -> tuple[Action, ...]:
    return (NetworkIntent(conf),)
