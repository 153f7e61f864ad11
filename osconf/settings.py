"""osconf's own settings: `/etc/osconf.conf` under the root, and where the
run-time files go.

`/etc/osconf.conf` is read by the one reader here (the lifecycle, the
network stack detection and `install` all use it): plain `KEY=VALUE` lines
read by os.conf's parser, never a shell. It is input like every file of an
image: a line that is not UTF-8, a directory or FIFO in its place, a link
loop -- a warning each, and the settings that can be read are used.

The run-time paths (the lock, the base of private mounts) are one object,
`Runtime`, so that tests can put them anywhere: `OSCONF_RUN_DIR` in the
environment moves both below that directory.
"""

import os

from osconf.value import Value

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Dict, Optional

    from osconf.view import View

CONFIG_FILE = "/etc/osconf.conf"
KEYS = ("partition", "network_stack")
RUN_DIR_VARIABLE = "OSCONF_RUN_DIR"


def _log(level: str, message: str, *args: object) -> None:
    import logging

    getattr(logging.getLogger(__name__), level)(message, *args)


def read(view: "View") -> "Dict[str, str]":
    """The known settings of /etc/osconf.conf under the root that have a
    value; problems are warnings, never errors."""
    try:
        text = view.read_text(CONFIG_FILE)
    except (OSError, ValueError) as err:
        _log("warning", "ignoring %s: %s", CONFIG_FILE, err)
        return {}
    if not text:
        return {}
    from osconf.parse import parse

    # read_text keeps undecodable bytes as surrogates: back to the same bytes,
    # so that the parser reports that line (not UTF-8) and reads the others.
    assignments, problems = parse(text.encode("utf-8", "surrogateescape"), CONFIG_FILE)
    for problem in problems:
        _log("warning", "%s (ignored)", str(problem).replace(": error:", ":", 1))
    values: Dict[str, str] = {}
    for item in assignments:
        if item.key not in KEYS:
            _log("warning", "%s:%d: unknown setting %s, ignored", CONFIG_FILE, item.line, item.key)
        elif item.value:
            values[item.key] = item.value
        else:
            values.pop(item.key, None)
    return values


def setting(view: "View", key: str) -> "Optional[str]":
    """One setting of /etc/osconf.conf, None when not set."""
    return read(view).get(key)


class Runtime(Value):
    """Where osconf keeps its run-time files on the host (not in the target:
    the lock serialises every osconf on this machine, whatever its --root)."""

    __slots__ = ("lock_file", "mount_base")
    lock_file: str
    mount_base: str

    def __init__(self, lock_file: str, mount_base: str) -> None:
        self._set(lock_file, mount_base)


def runtime() -> Runtime:
    """The host's paths, or those below $OSCONF_RUN_DIR (tests)."""
    base = os.environ.get(RUN_DIR_VARIABLE)
    if base:
        return Runtime(os.path.join(base, "osconf.lock"), os.path.join(base, "osconf"))
    return Runtime("/run/osconf.lock", "/run/osconf")
