"""Prints the QEMU tier's boot-cost table (tests/e2e/bootcost.py) after the run."""

from typing import Any

from tests.e2e import bootcost


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if bootcost.ROWS:
        terminalreporter.section(
            "boot cost: osconf.service against the probe (systemd-analyze blame)"
        )
        terminalreporter.write_line(bootcost.table(bootcost.ROWS))
