"""Persisted network configuration: pick the image's stack, render, replace.

The stacks and their order of preference are data (`STACKS`); detection
looks only under the target root: units enabled in /etc/systemd/system,
programs and directories present, then os-release's ID/ID_LIKE.
"""

import logging
import os
import re
from typing import TYPE_CHECKING, Dict, List, Optional, Set, Tuple, Type

from osconf.actions import Action, RemoveFile, Warn, WriteFile
from osconf.errors import UnsupportedError
from osconf.model import OsConf
from osconf.render.base import Stack, Target
from osconf.render.ifcfg import Ifcfg
from osconf.render.ifupdown import Ifupdown
from osconf.render.netplan import Netplan
from osconf.render.networkd import Networkd
from osconf.render.networkmanager import NetworkManager
from osconf.render.suse import Suse

if TYPE_CHECKING:
    from osconf.options import Options
    from osconf.view import View

log = logging.getLogger(__name__)

# Most specific first: netplan generates networkd/NM files, so it must win
# over both; an enabled daemon wins over files that merely exist.
STACKS: Tuple[Type[Stack], ...] = (Netplan, NetworkManager, Networkd, Suse, Ifupdown, Ifcfg)
BY_NAME = {stack.name: stack for stack in STACKS}
OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")
SYS_NET = "/sys/class/net"
CONFIG_FILE = "/etc/osconf.conf"
# The programs that read each stack's files: when none is in the image, the
# files osconf writes would be read by nothing (a minimal image whose stack
# was picked from os-release), and the plan says so.
PROGRAMS = {
    "netplan": Netplan.paths,
    "networkmanager": ("/usr/sbin/NetworkManager", "/sbin/NetworkManager"),
    "networkd": ("/lib/systemd/systemd-networkd", "/usr/lib/systemd/systemd-networkd"),
    "suse": ("/usr/sbin/wicked", "/sbin/wicked"),
    "ifupdown": ("/sbin/ifup", "/usr/sbin/ifup"),
    "ifcfg": (
        "/sbin/ifup", "/usr/sbin/ifup", "/etc/sysconfig/network-scripts/ifup-eth",
        "/usr/sbin/NetworkManager",
    ),
}  # fmt: skip


def _configured(view: "View") -> Optional[str]:
    from osconf.settings import setting

    return setting(view, "network_stack")


def _enabled_units(view: "View") -> Set[str]:
    units: Set[str] = set()
    for entry in view.listdir("/etc/systemd/system"):
        if entry.endswith(".wants"):
            units.update(view.listdir(f"/etc/systemd/system/{entry}"))
    return units


def _os_ids(view: "View") -> List[str]:
    for path in OS_RELEASE:
        text = view.read_text(path) if view.is_file(path) else None
        if text is None:
            continue
        values = {}
        for line in text.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                values[key.strip()] = value.strip().strip("\"'")
        return [values.get("ID", ""), *values.get("ID_LIKE", "").split()]
    return []


def detect(view: "View", override: Optional[str] = None) -> Type[Stack]:
    """The network stack of the target: `override`, else `network_stack=` in
    /etc/osconf.conf under the root, else detected."""
    override = override or _configured(view)
    if override:
        try:
            return BY_NAME[override]
        except KeyError:
            names = ", ".join(BY_NAME)
            raise UnsupportedError(
                f"unknown network stack {override!r} (one of: {names})"
            ) from None
    units = _enabled_units(view)
    for stack in STACKS:
        if any(unit in units for unit in stack.enabled_units):
            log.debug("network stack %s: unit enabled", stack.name)
            return stack
        if any(view.exists(path) for path in stack.paths):
            log.debug("network stack %s: installed", stack.name)
            return stack
    ids = [i for i in _os_ids(view) if i]
    for stack in STACKS:
        if any(i in stack.os_ids for i in ids):
            log.debug("network stack %s: from os-release %s", stack.name, ids)
            return stack
    looked = "; ".join(
        f"{s.name}: " + ", ".join([*(f"{u} enabled" for u in s.enabled_units), *s.paths])
        for s in STACKS
        if s.enabled_units or s.paths
    )
    raise UnsupportedError(
        f"no known network stack in the target (looked for {looked}; os-release ID/ID_LIKE "
        f"{ids or 'missing'}); name one with --network-stack or network_stack= in /etc/osconf.conf"
    )


def missing_software(view: "View", stack: Type[Stack]) -> Optional[str]:
    """A warning when none of the programs that read the stack's files is in
    the target, else None."""
    programs = PROGRAMS.get(stack.name, ())
    if not programs or any(view.exists(path) for path in programs):
        return None
    return (
        f"{stack.name}: none of {', '.join(programs)} is in the image, so nothing will read "
        f"the files osconf writes for it; install it, or name the image's stack with "
        f"--network-stack or network_stack= in {CONFIG_FILE}"
    )


_SAFE_NAME = re.compile(r"\A[A-Za-z0-9_.-]{1,15}\Z")


def kernel_names(conf: OsConf, live: bool) -> Dict[str, str]:
    """os.conf name -> the running kernel's name of the NIC with that MAC."""
    if not live:
        return {}
    by_mac: Dict[str, str] = {}
    try:
        entries = sorted(os.listdir(SYS_NET))
    except OSError:
        return {}
    for entry in entries:
        if not _SAFE_NAME.match(entry):
            # The kernel allows `$`, quotes and `;` in link names; they go
            # into shell-sourced files (ifcfg DEVICE=, ifupdown `up ... dev`).
            log.warning("ignoring the link %r: its name is not safe in a config file", entry)
            continue
        try:
            with open(f"{SYS_NET}/{entry}/address", encoding="ascii") as handle:
                by_mac.setdefault(handle.read().strip().lower(), entry)
        except (OSError, UnicodeDecodeError):
            continue
    return {nic.name: by_mac[nic.mac] for nic in conf.nics if nic.mac and nic.mac in by_mac}


def persist_actions(conf: OsConf, view: "View", options: "Options") -> Tuple[Action, ...]:
    """osconf's files for the target's stack, conflicts disabled, stale files removed."""
    stack = detect(view, options.network_stack)
    names = kernel_names(conf, view.is_live or options.live)
    if stack.needs_names:
        for nic in conf.nics:
            if nic.name not in names:
                log.warning(
                    "%s: kernel name of %s unknown here, %s names it %s",
                    stack.title,
                    nic.mac or nic.name,
                    stack.name,
                    nic.name,
                )
    target = Target(conf, names)
    rendered = stack.render(target)
    actions: List[Action] = []
    missing = missing_software(view, stack)
    if missing:
        actions.append(Warn(missing))
    conflicts = stack.conflicts(view, target, rendered)
    actions.extend(conflicts)
    # A stack's conflict handling may write one of osconf's files itself,
    # keeping settings of the definition it replaces (ifcfg's IPv6).
    supplied = {a.path for a in conflicts if isinstance(a, WriteFile)}
    for path, file in sorted(rendered.items()):
        if path not in supplied:
            actions.append(WriteFile(path, file.content, file.mode, stack.title))
    for path in stack.owned(view):
        if path not in rendered:
            actions.append(RemoveFile(path, "osconf's file for a NIC os.conf no longer has"))
    return tuple(actions)
