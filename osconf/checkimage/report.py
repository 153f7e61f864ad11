"""Verdicts and the report: OK / WARNING / FAILED per check, text and JSON.

The statuses and their meaning are the ECS image compliance tool's
(manual §3.3.1): FAILED, an instance made from the image will not work;
WARNING, it starts but the platform cannot configure it the intended way.
SKIPPED is osconf's own: the check cannot be decided from this kind of
target (a tree has no partition table); it never changes the exit code.
"""

from dataclasses import dataclass
from typing import Any, Dict, Sequence

OK = "OK"
WARNING = "WARNING"
FAILED = "FAILED"
SKIPPED = "SKIPPED"

# Exit codes of `osconf check-image` (README, "Exit codes").
# (8 is `status`'s "last run stopped on an error".)
EXIT_WARNINGS = 10
EXIT_FAILURES = 11


@dataclass(frozen=True)
class Finding:
    """The verdict of one check: why, and what to do about it."""

    name: str
    status: str
    reason: str
    fix: str = ""


@dataclass(frozen=True)
class Report:
    target: str
    kind: str  # "tree" or "disk image (raw|qcow2|...)"
    facts: Dict[str, str]
    findings: Sequence[Finding]

    def count(self, status: str) -> int:
        return sum(1 for f in self.findings if f.status == status)

    @property
    def exit_code(self) -> int:
        if self.count(FAILED):
            return EXIT_FAILURES
        if self.count(WARNING):
            return EXIT_WARNINGS
        return 0


def text(report: Report) -> str:
    """The report as the compliance tool prints it, with reasons and fixes."""
    lines = [f"Image: {report.target} ({report.kind})"]
    for key, value in report.facts.items():
        lines.append(f"{key}: {value}")
    lines.append("-" * 60)
    width = max([len(f.name) for f in report.findings] + [10])
    for finding in report.findings:
        lines.append(f"Check {finding.name:<{width}} [{finding.status}]")
        lines.append(f"    {finding.reason}")
        if finding.fix and finding.status in (WARNING, FAILED):
            lines.append(f"    fix: {finding.fix}")
    lines.append("-" * 60)
    for status in (OK, WARNING, FAILED, SKIPPED):
        lines.append(f"{report.count(status)} item(s) {status}")
    return "\n".join(lines) + "\n"


def fields(report: Report) -> Dict[str, Any]:
    """The report's members of the JSON document (README, "osconf check-image")."""
    return {
        "target": report.target,
        "kind": report.kind,
        "facts": dict(report.facts),
        "check_items": [
            {"name": f.name, "result": f.status, "description": f.reason, "fix": f.fix}
            for f in report.findings
        ],
        "summary": {s: report.count(s) for s in (OK, WARNING, FAILED, SKIPPED)},
    }
