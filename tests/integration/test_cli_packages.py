"""The packages carry the operator's files (issue #15): a commented
/etc/osconf.conf kept across upgrades, osconf(8), the bash completion; and the
installed copy's `osconf install` finds the shipped osconf.conf."""

import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.helpers import packages
from tests.helpers.tools import require_tool

pytestmark = pytest.mark.integration


def _run(*argv: str) -> str:
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE,
                          universal_newlines=True).stdout  # fmt: skip


def test_deb_ships_conf_man_page_and_completion(tmp_path: Path) -> None:
    require_tool("dpkg-buildpackage", package="dpkg-dev")
    deb = packages.build_deb(tmp_path)
    extracted = tmp_path / "x"
    subprocess.run(["dpkg-deb", "-R", str(deb), str(extracted)], check=True)
    for path, source in (
        ("etc/osconf.conf", "conf/osconf.conf"),
        ("usr/share/bash-completion/completions/osconf", "completion/osconf"),
        ("usr/share/man/man8/osconf.8.gz", None),
        ("usr/lib/python3/dist-packages/osconf/_assets/conf/osconf.conf", "conf/osconf.conf"),
    ):
        assert (extracted / path).is_file(), path
        if source:
            assert (extracted / path).read_bytes() == (REPO / source).read_bytes(), path
    # An administrator's edits survive an upgrade: dpkg keeps /etc files as conffiles.
    assert "/etc/osconf.conf" in (extracted / "DEBIAN/conffiles").read_text().split()


def test_rpm_ships_conf_man_page_and_completion(tmp_path: Path) -> None:
    rpm = require_tool("rpm")
    require_tool("rpmbuild", package="rpm")
    built = packages.build_rpm(tmp_path)
    files = _run(rpm, "-qpl", str(built)).split()
    assert "/etc/osconf.conf" in files
    assert "/usr/share/bash-completion/completions/osconf" in files
    assert any(f.startswith("/usr/share/man/man8/osconf.8") for f in files)
    assert "/etc/osconf.conf" in _run(rpm, "-qpc", str(built)).split()  # %config(noreplace)
