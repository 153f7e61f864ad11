"""Runs a plan through `System` and reports what happened to each action.

A failing action does not stop the others: everything that can be applied
is applied, and the failures are reported together (`ApplyError`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from osconf.errors import ApplyError

if TYPE_CHECKING:
    from osconf.plan import Plan
    from osconf.system import System

log = logging.getLogger(__name__)


@dataclass
class Report:
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed

    def raise_for_failures(self) -> None:
        if self.failed:
            raise ApplyError(self.failed)


def execute(plan: Plan, system: System) -> Report:
    report = Report()
    for action in plan.actions:
        what = action.describe()
        try:
            changed = action.execute(system)
        except Exception as err:  # noqa: BLE001 - reported, the others still run
            reason = str(err) or type(err).__name__
            log.error("failed: %s: %s", what, reason)
            log.debug("failure detail", exc_info=True)
            report.failed.append(f"{what}: {reason}")
            continue
        if changed:
            log.info("done: %s", what)
            report.changed.append(what)
        else:
            log.debug("already so: %s", what)
            report.unchanged.append(what)
    return report
