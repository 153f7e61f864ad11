"""Fixtures shared by every tier: the bundled samples and a minimal image root."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"

MINIMAL_ROOT = {
    "etc/passwd": "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n",
    "etc/shadow": "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n",
    "etc/group": "root:x:0:\ndaemon:x:1:\nshadow:x:42:\n",
    "etc/gshadow": "root:*::\ndaemon:*::\nshadow:*::\n",
    "etc/hosts": "127.0.0.1\tlocalhost\n127.0.1.1\tdebian\n\n"
    "# The following lines are desirable for IPv6 capable hosts\n"
    "::1     localhost ip6-localhost ip6-loopback\n",
    "etc/hostname": "debian\n",
    "etc/resolv.conf": "search example.internal\nnameserver 192.0.2.53\noptions timeout:2\n",
    "etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
    'VERSION_ID="12"\nID=debian\n',
    # Home and shells exist so that `pwck -r -R` judges only the shadow file.
    "root/.profile": "",
    "bin/bash": "",
    "usr/sbin/nologin": "",
}


def make_root(base: Path, files: dict[str, str] | None = None) -> Path:
    """A minimal image tree under `base`: the files osconf's core edits."""
    for rel, content in (files or MINIMAL_ROOT).items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    os.chmod(base / "etc/shadow", 0o640)
    for shell in ("bin/bash", "usr/sbin/nologin"):
        if (base / shell).exists():
            os.chmod(base / shell, 0o755)
    return base


@pytest.fixture
def minimal_root(tmp_path: Path) -> Path:
    return make_root(tmp_path / "root")


@pytest.fixture
def samples() -> Path:
    return SAMPLES


def run_osconf(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Runs the real command line in a child process."""
    full_env = dict(os.environ)
    full_env.pop("INVOCATION_ID", None)
    full_env.pop("JOURNAL_STREAM", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "osconf", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=REPO,
        timeout=120,
    )
