"""No timed assertion in the suite: hypothesis runs without a deadline."""

import re

from hypothesis import settings

from tests.conftest import REPO


def test_the_default_profile_has_no_deadline() -> None:
    assert settings.default.deadline is None


def test_no_test_sets_a_deadline() -> None:
    timed = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"[(,\s]deadline=(?!None\b)", line):
                timed.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert timed == []
