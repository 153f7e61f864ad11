"""The pipeline in one place: read -> parse+validate -> plan -> apply.

Commands call these; locating the platform's file, the lock, the state
record and deleting os.conf after success are layered on top (see
`osconf.lifecycle`).
"""

import base64
import errno
import logging
import os
import stat
from typing import TYPE_CHECKING, Union

from osconf import log as oslog
from osconf.errors import LocateError
from osconf.validate import load

if TYPE_CHECKING:
    from osconf.apply import Report
    from osconf.model import OsConf
    from osconf.options import Options
    from osconf.plan import Plan
    from osconf.system import System

log = logging.getLogger(__name__)


def read_conf(path: "Union[str, os.PathLike[str]]") -> bytes:
    """A named os.conf (`--conf`, `validate FILE`): links followed, as the
    user named it, but only a regular file is read (a FIFO or device never
    blocks) and at most one byte more than the parser accepts."""
    from osconf.fileio import read_at_most
    from osconf.filekinds import NotRegularFileError
    from osconf.locate import CONF_LIMIT

    shown = os.fspath(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
    try:
        st = os.stat(shown)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFileError(errno.EINVAL, "not a regular file")
        fd = os.open(shown, flags)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise NotRegularFileError(errno.EINVAL, "not a regular file")
            return read_at_most(fd, CONF_LIMIT + 1)
        finally:
            os.close(fd)
    except FileNotFoundError:
        raise LocateError(f"{shown}: no such file") from None
    except OSError as err:
        raise LocateError(f"{shown}: cannot read: {(err.strerror or str(err)).lower()}") from None


def register_secret(plain: str) -> None:
    """The password, and the base64 forms os.conf carries it in, masked in
    every later log record and JSON document."""
    oslog.register_secret(
        plain,
        base64.b64encode(plain.encode()).decode(),
        base64.b64encode(plain.encode() + b"\n").decode(),
    )


def load_conf(path: "Union[str, os.PathLike[str]]") -> "OsConf":
    """Reads and validates; warnings are logged, errors raised (all of them)."""
    return load_conf_bytes(read_conf(path), os.fspath(path))


def load_conf_bytes(data: bytes, source: str) -> "OsConf":
    """Validates os.conf's bytes read elsewhere (the first partition)."""
    conf, warnings = load(data, source)
    if conf.password is not None:
        register_secret(conf.password.reveal())
    for problem in warnings:
        log.warning("%s", problem)
    return conf


# The planner and the executor are imported where used, so that `osconf
# validate` loads neither (start-up time is the product's cost at every boot).


def plan_for(conf: "OsConf", system: "System", options: "Options") -> "Plan":
    from osconf.plan import make_plan

    return make_plan(conf, system, options)


def apply_conf(conf: "OsConf", system: "System", options: "Options") -> "Report":
    from osconf.apply import execute

    plan = plan_for(conf, system, options)
    return execute(plan, system)
