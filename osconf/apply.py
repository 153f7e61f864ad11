"""Runs a plan through `System` and reports what happened to each action.

A failing action does not stop the others: everything that can be applied
is applied, and the failures are reported together (`ApplyError`).
"""

import logging
import os
from typing import TYPE_CHECKING, List

from osconf.actions import Warn
from osconf.errors import ApplyError

if TYPE_CHECKING:
    from osconf.actions import Action
    from osconf.plan import Plan
    from osconf.system import System

log = logging.getLogger(__name__)


class Report:
    """What happened to each action, by its description."""

    def __init__(self) -> None:
        self.changed: List[str] = []
        self.unchanged: List[str] = []
        self.failed: List[str] = []

    @property
    def ok(self) -> bool:
        return not self.failed

    def raise_for_failures(self) -> None:
        if self.failed:
            raise ApplyError(self.failed)


# Test hook for fault injection (tests/integration/test_faults.py): with
# OSCONF_TEST_KILL_AFTER=N the process SIGKILLs itself right after the Nth
# action of the plan has run, to prove that a run cut off at any point
# leaves every file whole and a re-run finishes the job.
KILL_AFTER_VARIABLE = "OSCONF_TEST_KILL_AFTER"


def execute(plan: "Plan", system: "System") -> Report:
    report = Report()
    kill_after = int(os.environ.get(KILL_AFTER_VARIABLE) or 0)
    for number, action in enumerate(plan.actions, start=1):
        _run(action, system, report)
        if number == kill_after:
            import signal

            os.kill(os.getpid(), signal.SIGKILL)
    return report


def _run(action: "Action", system: "System", report: Report) -> None:
    what = action.describe()
    try:
        changed = action.execute(system)
    except Exception as err:  # noqa: BLE001 - reported, the others still run
        reason = str(err) or type(err).__name__
        log.error("failed: %s: %s", what, reason)
        log.debug("failure detail", exc_info=True)
        report.failed.append(f"{what}: {reason}")
        return
    if isinstance(action, Warn):
        return  # told, and neither a change nor something in place
    if changed:
        log.info("done: %s", what)
        report.changed.append(what)
    else:
        log.debug("already so: %s", what)
        report.unchanged.append(what)
