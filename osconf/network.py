"""The network part of the plan: persisted files, live state, the stack's reload.

The persisted files come from the renderer of the target's network stack
(`osconf.render`); the live state is set over netlink (`osconf.live`, which
alone loads pyroute2, and only when the plan is live); last, the running
stack is asked to take its new files (`osconf.reload`), so that the manager
and the kernel agree.
"""

from typing import TYPE_CHECKING, Tuple

from osconf.actions import Action
from osconf.model import OsConf

if TYPE_CHECKING:
    from osconf.options import Options
    from osconf.plan import View


def network_actions(conf: OsConf, view: "View", options: "Options") -> Tuple[Action, ...]:
    if not conf.nics:
        return ()
    from osconf.render import detect, persist_actions

    actions = list(persist_actions(conf, view, options))
    if options.live:
        from osconf.live import live_actions
        from osconf.reload import reload_actions

        actions.extend(live_actions(conf, view, options))
        actions.extend(reload_actions(detect(view, options.network_stack).name, view, conf))
    return tuple(actions)
