"""The network part of the plan: persisted files, live state, the stack's reload.

The persisted files come from the renderer of the target's network stack
(`osconf.render`). On a running system the kernel is then made to match:

* when the stack is already up (a manual run, the watcher), over netlink
  (`osconf.live`, which alone loads pyroute2), and the running stack is
  asked to take its new files (`osconf.reload`), so that the manager and
  the kernel agree;
* at boot, before the stack has started, the kernel is left to the stack,
  which brings the NICs up from osconf's files (`osconf.boot`: why, and how
  a NIC that never appears is still caught). netplan's files are generated
  for its backend then too.

An explicit `--live` always takes the netlink path.
"""

from typing import TYPE_CHECKING, List, Tuple

from osconf.actions import Action
from osconf.model import OsConf

if TYPE_CHECKING:
    from osconf.options import Options
    from osconf.view import View


def network_actions(conf: OsConf, view: "View", options: "Options") -> Tuple[Action, ...]:
    if not conf.nics:
        return ()
    from osconf.render import detect, persist_actions

    if not options.live:
        return tuple(persist_actions(conf, view, options))
    from osconf import netstate
    from osconf.reload import reload_actions

    stack = detect(view, options.network_stack).name
    actions: List[Action] = []
    if options.defer_to_stack:
        from osconf.boot import boot_actions, stack_up, wait_for_nics

        if not stack_up(stack, view):
            # Before the files are rendered: stacks that name NICs need the
            # kernel's names, which exist once udev is done with each NIC.
            names = wait_for_nics(conf, options.nic_timeout)
            persisted = conf
            if detect(view, options.network_stack).needs_names and len(names) < len(conf.nics):
                # A NIC that did not appear has no kernel name: a stanza under
                # a guessed one would make the stack's own start fail (ifup).
                # The run that finds it writes it (os.conf is kept: exit 5).
                present = tuple(nic for nic in conf.nics if nic.name in names)
                persisted = conf.replace(nics=present)
            actions.extend(persist_actions(persisted, view, options))
            actions.extend(boot_actions(conf, stack, names, options.nic_timeout))
            from osconf.live import RecordNetworkState

            # A fresh boot's kernel holds nothing of the previous os.conf;
            # a damaged record is still kept aside for the operator.
            damaged = netstate.read(view)[1]
            actions.append(RecordNetworkState(netstate.wanted(conf), (), damaged))
            actions.extend(reload_actions(stack, view, conf))
            return tuple(actions)
    from osconf.live import live_actions

    actions.extend(persist_actions(conf, view, options))
    actions.extend(live_actions(conf, view, options))
    actions.extend(reload_actions(stack, view, conf))
    return tuple(actions)
