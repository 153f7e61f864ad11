"""From an `OsConf` and a read-only view of the target to a `Plan`.

Pure apart from reading the target through `View` (never writing): the
plan can be printed (`osconf plan`), compared in tests and executed by
`osconf.apply`.
"""

from typing import Callable, Dict, Iterable, List, Tuple

from osconf import etcfiles
from osconf.actions import Action, CannotPlan, SetLiveHostname, SetPassword, WriteFile
from osconf.model import OsConf
from osconf.network import network_actions
from osconf.options import Options
from osconf.resolver import dns_actions
from osconf.value import Value
from osconf.view import View

DEFAULT_OPTIONS = Options()
HOSTNAME = "/etc/hostname"
HOSTS = "/etc/hosts"
SYSCONFIG_NETWORK = "/etc/sysconfig/network"


class Plan(Value):
    __slots__ = ("actions",)
    actions: Tuple[Action, ...]

    def __init__(self, actions: Tuple[Action, ...]) -> None:
        self._set(actions)

    def describe(self) -> List[str]:
        return [action.describe() for action in self.actions]


def hostname_actions(view: View, conf: OsConf) -> List[Action]:
    if conf.hostname is None:
        return []
    name = conf.hostname
    primary = conf.nic("eth0")
    actions: List[Action] = [WriteFile(HOSTNAME, etcfiles.hostname_file(name), None, "host name")]

    def hosts() -> List[Action]:
        current = view.read_text(HOSTS)
        content = etcfiles.hosts(current, name, primary.address if primary else None)
        return [WriteFile(HOSTS, content, None, "host name mapping")]

    def sysconfig() -> List[Action]:
        # A file on the RHEL family; on SUSE the same path is a directory.
        if not view.is_file(SYSCONFIG_NETWORK):
            return []
        content = etcfiles.set_shell_variable(view.read_text(SYSCONFIG_NETWORK), "HOSTNAME", name)
        return [WriteFile(SYSCONFIG_NETWORK, content, None, "HOSTNAME=")]

    _plan_part(actions, f"host name mapping in {HOSTS}", hosts)
    _plan_part(actions, f"HOSTNAME= in {SYSCONFIG_NETWORK}", sysconfig)
    if view.is_live:
        actions.append(SetLiveHostname(name))
    return actions


def make_plan(conf: OsConf, view: View, options: Options = DEFAULT_OPTIONS) -> Plan:
    """Everything os.conf asks for, as actions in the order they should run.

    Files first (host name, password, DNS, persisted network), then the live
    network, so that a reboot after a partial run still finds the files.
    """
    actions: List[Action] = []
    _plan_part(actions, "host name", lambda: hostname_actions(view, conf))
    if conf.password is not None:
        actions.append(SetPassword("root", conf.password))
    _plan_part(actions, "name servers", lambda: dns_actions(view, conf.dns))
    _plan_part(actions, "network", lambda: network_actions(conf, view, options))
    return Plan(_merge_writes(actions))


def _plan_part(actions: List[Action], what: str, part: Callable[[], Iterable[Action]]) -> None:
    """Adds one part of the plan; a target file that cannot be read (a
    directory where a file should be, ...) fails that part alone."""
    try:
        actions.extend(part())
    except OSError as err:
        where = f": {err.filename}" if err.filename else ""
        actions.append(CannotPlan(what, f"{err.strerror or err}{where}"))


def _merge_writes(actions: List[Action]) -> Tuple[Action, ...]:
    """Keeps the last write of each path: later planners refine earlier ones."""
    last: Dict[str, int] = {}
    for index, action in enumerate(actions):
        if isinstance(action, WriteFile):
            last[action.path] = index
    return tuple(
        a for i, a in enumerate(actions) if not isinstance(a, WriteFile) or last[a.path] == i
    )
