"""Fixtures of the integration tier."""

import os
import signal
from typing import Iterator

import pytest

from tests.helpers.livenet import Lab
from tests.helpers.tools import require_root


@pytest.fixture
def lab() -> Iterator[Lab]:
    """A guest namespace with gateway namespaces; daemons started in it are ended."""
    require_root()
    with Lab() as lab:
        yield lab
        for pid in lab.guest.run(
            ["ip", "netns", "pids", lab.guest.name], check=False
        ).stdout.split():
            try:
                os.kill(int(pid), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass
