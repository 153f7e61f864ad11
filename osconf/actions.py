"""The plan's vocabulary: small frozen actions that know how to run themselves.

An action is data (`describe()` says what it will do, `repr()` never shows a
secret) and its `execute(system)` is the only code that acts, always through
`System`. `execute` returns True when something changed, False when the
target was already as wanted, and raises on failure. `holds(system)`, where
an action has it, tells beforehand, reading only, whether its effect is
already in place (None: cannot tell without acting), for `osconf plan`.
"""

import logging
import os
import stat
import time
from typing import TYPE_CHECKING, Optional

from osconf import etcfiles
from osconf.compat import Protocol
from osconf.model import Secret
from osconf.value import Value

if TYPE_CHECKING:
    from osconf.system import System

log = logging.getLogger(__name__)


class Action(Protocol):
    def describe(self) -> str: ...

    def execute(self, system: "System") -> bool: ...


class WriteFile(Value):
    """Replace a whole file (atomically, previous content backed up)."""

    __slots__ = ("path", "content", "mode", "reason")
    _hidden = ("content",)
    path: str
    content: str
    mode: Optional[int]
    reason: str

    def __init__(
        self, path: str, content: str, mode: Optional[int] = None, reason: str = ""
    ) -> None:
        self._set(path, content, mode, reason)

    def describe(self) -> str:
        mode = f" mode {self.mode:04o}" if self.mode is not None else ""
        return f"write {self.path}{mode}" + (f" ({self.reason})" if self.reason else "")

    def execute(self, system: "System") -> bool:
        return system.write_file(self.path, self.content, self.mode)

    def holds(self, system: "System") -> Optional[bool]:
        """The same test `System.write_file` makes before it writes."""
        host = system.host_path(system.resolve(self.path))
        try:
            st = os.stat(host)
        except OSError:
            return False
        if not stat.S_ISREG(st.st_mode):
            return False
        if self.mode is not None and stat.S_IMODE(st.st_mode) != self.mode:
            return False
        try:
            return host.read_bytes() == self.content.encode("utf-8", "surrogateescape")
        except OSError:
            return False


class RemoveFile(Value):
    """Remove a file that would contradict osconf's settings (backed up)."""

    __slots__ = ("path", "reason")
    path: str
    reason: str

    def __init__(self, path: str, reason: str = "") -> None:
        self._set(path, reason)

    def describe(self) -> str:
        return f"remove {self.path}" + (f" ({self.reason})" if self.reason else "")

    def execute(self, system: "System") -> bool:
        return system.remove_file(self.path)

    def holds(self, system: "System") -> Optional[bool]:
        host = system.host_path(self.path)
        return not host.is_symlink() and not host.exists()


class SetPassword(Value):
    """Store a SHA-512 crypt hash of the password in the target's shadow file."""

    __slots__ = ("user", "password", "shadow")
    _hidden = ("password",)
    user: str
    password: Secret
    shadow: str

    def __init__(self, user: str, password: Secret, shadow: str = "/etc/shadow") -> None:
        self._set(user, password, shadow)

    def describe(self) -> str:
        return f"set the password of {self.user} in {self.shadow} (SHA-512 crypt, value not shown)"

    def holds(self, system: "System") -> Optional[bool]:
        content = system.read_text(self.shadow)
        current = etcfiles.shadow_hash(content, self.user) if content is not None else None
        if current is None:
            return False
        from osconf.sha512crypt import verify

        return verify(self.password.reveal(), current)

    def execute(self, system: "System") -> bool:
        content = system.read_text(self.shadow)
        if content is None:
            raise FileNotFoundError(f"{self.shadow} does not exist in the target")
        current = etcfiles.shadow_hash(content, self.user)
        if current is None:
            raise LookupError(f"user {self.user} has no entry in {self.shadow}")
        from osconf.sha512crypt import sha512_crypt, verify

        if verify(self.password.reveal(), current):
            return False
        today = int(time.time() // 86400)
        updated = etcfiles.shadow_set_hash(
            content, self.user, sha512_crypt(self.password.reveal()), today
        )
        return system.write_file(self.shadow, updated)


class SetLiveHostname(Value):
    """Set the running kernel's host name (only on the live system)."""

    __slots__ = ("name",)
    name: str

    def __init__(self, name: str) -> None:
        self._set(name)

    def describe(self) -> str:
        return f"set the running host name to {self.name}"

    def execute(self, system: "System") -> bool:
        return system.set_live_hostname(self.name)

    def holds(self, system: "System") -> Optional[bool]:
        import socket

        return socket.gethostname() == self.name


class CannotPlan(Value):
    """A part of the plan that could not be made because the target could not
    be read (/etc/hosts a directory, ...): applying reports it as a failure
    while the other parts still run."""

    __slots__ = ("what", "reason")
    what: str
    reason: str

    def __init__(self, what: str, reason: str) -> None:
        self._set(what, reason)

    def describe(self) -> str:
        return f"{self.what} (cannot plan: {self.reason})"

    def execute(self, system: "System") -> bool:
        raise RuntimeError("skipped")

    def holds(self, system: "System") -> Optional[bool]:
        return False


class Warn(Value):
    """Tells the operator about something osconf deliberately leaves alone."""

    __slots__ = ("message",)
    message: str

    def __init__(self, message: str) -> None:
        self._set(message)

    def describe(self) -> str:
        return f"warn: {self.message}"

    def execute(self, system: "System") -> bool:
        log.warning("%s", self.message)
        return False
