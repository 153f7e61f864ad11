"""The boot-cost table of the QEMU tier: osconf.service against the probe.

Every guest image with systemd carries osconf-probe.service (tests/e2e/guest.py),
the same interpreter running `-I -c pass`, ordered like osconf.service, so
both start at the same point of the boot. After each boot the tier reads,
for both units, how long systemd had them activating (what `systemd-analyze
blame` shows: from leaving "inactive" to entering "active") and keeps a row;
tests/e2e/conftest.py prints the table at the end of the run. Only that both
units ran and succeeded is asserted: times are reported, never tested.
"""

from dataclasses import dataclass
from typing import Dict, List

from tests.e2e.guest import PROBE_UNIT
from tests.e2e.vm import Guest

PROPERTIES = (
    "InactiveExitTimestampMonotonic",
    "ActiveEnterTimestampMonotonic",
    "Result",
    "ExecMainStatus",
)


@dataclass(frozen=True)
class Row:
    case: str
    boot: str  # "first boot, applies os.conf", "third boot, no os.conf", ...
    osconf_s: float
    probe_s: float
    start_gap_s: float  # when osconf.service started, less when the probe did

    @property
    def ratio(self) -> float:
        return self.osconf_s / self.probe_s


ROWS: List[Row] = []


def _show(guest: Guest, password: str, unit: str) -> Dict[str, str]:
    out = guest.run(password, f"systemctl show -p {','.join(PROPERTIES)} {unit}")
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def measure(guest: Guest, password: str, case: str, boot: str, osconf_status: int = 0) -> Row:
    """Both units' activating times in this boot; asserts both ran and
    exited as expected (osconf with `osconf_status`, the probe with 0)."""
    units = {}
    for unit, status in (("osconf.service", osconf_status), (PROBE_UNIT, 0)):
        shown = _show(guest, password, unit)
        started = int(shown["InactiveExitTimestampMonotonic"])
        active = int(shown["ActiveEnterTimestampMonotonic"])
        assert started > 0 and active > 0, (unit, "did not run", shown)
        assert shown["Result"] == "success", (unit, shown)
        assert int(shown["ExecMainStatus"]) == status, (unit, shown)
        units[unit] = (started, active)
    (o_start, o_end), (p_start, p_end) = units["osconf.service"], units[PROBE_UNIT]
    row = Row(case, boot, (o_end - o_start) / 1e6, (p_end - p_start) / 1e6,
              (o_start - p_start) / 1e6)  # fmt: skip
    ROWS.append(row)
    print(f"boot cost: {row}")
    return row


def table(rows: List[Row]) -> str:
    """The rows as the README's Markdown table."""
    lines = [
        "| case | boot | osconf.service | probe (`-I -c pass`) | ratio | start gap |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r.case} | {r.boot} | {r.osconf_s:.2f} s | {r.probe_s:.2f} s "
                     f"| {r.ratio:.2f} × | {r.start_gap_s:+.2f} s |")  # fmt: skip
    return "\n".join(lines)
