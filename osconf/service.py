"""What the boot runs: `osconf.service`'s ExecStart and the SysV script.

    /usr/bin/python3 -I -c "import osconf.service as s; s.boot()"

Almost every boot has no os.conf, so this entry point first proves that
cheaply, with nothing loaded beyond what the interpreter already has (no
argparse, logging, dataclasses, json, hashlib, contextlib, tempfile,
subprocess, socket): the switches, the lock, the first partition found
from sysfs and mountinfo, the file absent, the run recorded (plain os
calls and fsync), the status sent to systemd, two lines for the journal.
Whenever there is more to do or to tell -- os.conf is there, the partition
must be mounted, /etc/osconf.conf is not plain, anything failed -- it
hands over to the full pipeline, `osconf apply`, which does it all again
with every check and message. Arguments, if any, go to `osconf apply`.

Not `python3 -m osconf.service`: runpy costs about half an interpreter
start; not a console script: pip's wrapper imports `re`.
"""

import os
import sys

from osconf import lifecycle, log, sd, sshkeys, state
from osconf.locate import CONF_DIR, CONF_NAME, conf_dir, find, mounted_at

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import List, Optional, Sequence


class HostView:
    """The running system's files, as `lifecycle` reads them (`View`'s subset);
    `root` is "/" but for tests."""

    is_live = True

    def __init__(self, root: str = "/") -> None:
        self.root = root

    def exists(self, path: str) -> bool:
        return os.path.exists(os.path.join(self.root, path.lstrip("/")))

    def read_text(self, path: str) -> "Optional[str]":
        try:
            with open(os.path.join(self.root, path.lstrip("/")), encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            return None


def nothing_to_do(settings: lifecycle.Settings, root: str = "/") -> "Optional[int]":
    """The exit code when there is nothing to apply; None to hand over.

    Raises what goes wrong (the caller hands over then, but for BusyError).
    """
    view = HostView(root)
    reason = lifecycle.disabled_by(view, settings.host)
    if reason:
        log.say(log.INFO, f"osconf is disabled: {reason}")
        state.record_on_host(state.Run(state.now(), "disabled", reason), root)
        return 0
    with lifecycle.locked(settings.lock_file, settings.lock_timeout):
        sd.notify("STATUS=Looking for the first partition")
        spec = lifecycle.plain_setting(view.read_text(lifecycle.CONFIG_FILE) or "", "partition")
        found = find(spec, settings.host)
        top = mounted_at(found, settings.host)
        if top is None:
            return None  # mounting is the full pipeline's
        path = os.path.join(top, CONF_DIR, CONF_NAME)
        with conf_dir(top) as fd:  # refuses a link or a mount in its place
            if fd is not None and _there(fd):
                return None
        if sshkeys.pending(root):
            return None  # SSH host keys to make: the full run's (osconf.sshkeys)
        log.say(log.INFO, f"first partition {found.node} ({found.how}), mounted at {top}")
        log.say(log.INFO, f"no {path}: nothing to do")
        state.record_on_host(state.Run(state.now(), "absent", "no os.conf", path), root)
    sd.notify("STATUS=No os.conf: nothing to do")
    return 0


def _there(dir_fd: int) -> bool:
    """Anything named os.conf in the folder (a file, a link, a FIFO...)."""
    try:
        os.stat(CONF_NAME, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def main(argv: "Optional[Sequence[str]]" = None) -> int:
    args: List[str] = list(sys.argv[1:] if argv is None else argv)
    if not args:
        try:
            code = nothing_to_do(lifecycle.Settings())
        except Exception as err:  # noqa: BLE001 - the full pipeline reports it
            from osconf.errors import BusyError

            if isinstance(err, BusyError):
                log.say(log.ERR, str(err))
                return err.exit_code
            code = None
        if code is not None:
            return code
    from osconf.cli import main as full

    return full(["apply"] + args)


def boot() -> None:
    """`main()` as the process's exit status."""
    sys.exit(main())


if __name__ == "__main__":
    boot()
