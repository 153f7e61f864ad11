"""Live network state over netlink (filled in by the live-network work)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from osconf.actions import Action
from osconf.model import OsConf

if TYPE_CHECKING:
    from osconf.plan import Options, View


def live_actions(conf: OsConf, view: View, options: Options) -> tuple[Action, ...]:
    return ()
