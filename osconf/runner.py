"""The pipeline in one place: read -> parse+validate -> plan -> apply.

Commands call these; locating the platform's file, the lock, the state
record and deleting os.conf after success are layered on top (see
`osconf.lifecycle`).
"""

import base64
import logging
from pathlib import Path
from typing import TYPE_CHECKING

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


def read_conf(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(1024 * 1024 + 1)
    except FileNotFoundError:
        raise LocateError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise LocateError(f"{path}: is a directory") from None
    except PermissionError:
        raise LocateError(f"{path}: permission denied") from None
    except OSError as err:
        raise LocateError(f"{path}: cannot read: {err.strerror}") from None


def register_secret(plain: str) -> None:
    """The password, and the base64 forms os.conf carries it in, masked in
    every later log record and JSON document."""
    oslog.register_secret(
        plain,
        base64.b64encode(plain.encode()).decode(),
        base64.b64encode(plain.encode() + b"\n").decode(),
    )


def load_conf(path: Path) -> "OsConf":
    """Reads and validates; warnings are logged, errors raised (all of them)."""
    data = read_conf(path)
    conf, warnings = load(data, str(path))
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
