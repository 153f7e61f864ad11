"""The network part of the plan: persisted configuration and live state.

The persisted files come from the renderer of the target's network stack
(`osconf.render`); the live state is set over netlink (`osconf.netlink`).
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


def network_actions(conf: OsConf, view: View, options: Options) -> tuple[Action, ...]:
    if not conf.nics:
        return ()
    return (NetworkIntent(conf),)
