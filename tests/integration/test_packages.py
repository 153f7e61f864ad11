"""The packages users install: what the wheel, sdist, .deb and .rpm carry.

Each is built from the checkout as a distribution would build it
(tests/helpers/packages.py: setuptools, dpkg-buildpackage with pybuild,
rpmbuild on the sdist) and then read with the family's own tools. The
installs themselves are in test_packages_install.py.
"""

import ast
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, Set

import pytest

from tests.conftest import REPO
from tests.helpers import packages
from tests.helpers.tools import require_tool

pytestmark = pytest.mark.integration


def _setup_constant(name: str) -> object:
    tree = ast.parse((REPO / "setup.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
        if isinstance(node, ast.keyword) and node.arg == name:
            return ast.literal_eval(node.value)
    raise AssertionError(f"setup.py has no {name}")


VERSION = str(_setup_constant("version"))
ASSET_DIRS = tuple(_setup_constant("ASSET_DIRS"))  # type: ignore[arg-type]


def _assets() -> Dict[str, bytes]:
    """Every file setup.py's ASSET_DIRS ship, by its path in the repository."""
    found = {}
    for name in ASSET_DIRS:
        for path in sorted((REPO / name).rglob("*")):
            if path.is_file():
                found[str(path.relative_to(REPO))] = path.read_bytes()
    assert any(k.startswith("units/") for k in found) and "initscripts/osconf" in found
    return found


def _run(*argv: str) -> str:
    return subprocess.run(argv, check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout


def test_versions_agree() -> None:
    changelog = (REPO / "debian/changelog").read_text().splitlines()[0]
    assert changelog.startswith(f"osconf ({VERSION}) ")
    spec = (REPO / "rpm/osconf.spec").read_text()
    assert re.search(rf"^Version:\s+{re.escape(VERSION)}$", spec, re.M)


def test_wheel_carries_the_assets_and_the_licence(tmp_path: Path) -> None:
    wheel = packages.build_wheel(tmp_path)
    assert wheel.name == f"osconf-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for rel, data in _assets().items():
            assert archive.read(f"osconf/_assets/{rel}") == data, rel
        assert f"osconf-{VERSION}.dist-info/licenses/LICENSE" in names or (
            f"osconf-{VERSION}.dist-info/LICENSE" in names
        )
        metadata = archive.read(f"osconf-{VERSION}.dist-info/METADATA").decode()
    assert "License: MIT" in metadata
    assert not any(n.startswith(("tests/", "debian/", "rpm/")) for n in names)


def test_sdist_carries_what_the_rpm_builds_from(tmp_path: Path) -> None:
    sdist = packages.build_sdist(tmp_path)
    top = f"osconf-{VERSION}"
    with tarfile.open(sdist) as archive:
        names = set(archive.getnames())
        for rel, data in _assets().items():
            member = archive.extractfile(f"{top}/{rel}")
            assert member is not None and member.read() == data, rel
    for rel in ("LICENSE", "README.md", "setup.py", "rpm/osconf.spec", "osconf/cli.py"):
        assert f"{top}/{rel}" in names, rel
    assert not any("__pycache__" in n or n.startswith(f"{top}/tests/") for n in names)


def test_installed_wheel_installs_the_boot_service(tmp_path: Path) -> None:
    """Not from the checkout: `osconf install` of a pip-installed wheel finds
    the units and the SysV script inside its own package."""
    target = tmp_path / "site"
    wheel = packages.build_wheel(tmp_path / "dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    env = dict(os.environ, PYTHONPATH=str(target))
    where = subprocess.run(
        [sys.executable, "-c", "import osconf; print(osconf.__file__)"],
        cwd=tmp_path,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
        universal_newlines=True,
    ).stdout
    assert where.startswith(str(target))
    systemd_tree = tmp_path / "systemd"
    (systemd_tree / "usr/lib/systemd").mkdir(parents=True)
    (systemd_tree / "usr/lib/systemd/systemd").write_text("")
    sysv_tree = tmp_path / "sysv"
    sysv_tree.mkdir()
    for tree in (systemd_tree, sysv_tree):
        result = subprocess.run(
            [sys.executable, "-m", "osconf", "install", "--root", str(tree), "--watch"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            universal_newlines=True,
        )
        assert result.returncode == 0, result.stderr
        assert "not installed" not in result.stderr
    for unit in ("osconf.service", "osconf-watch.service"):
        assert (systemd_tree / "etc/systemd/system/multi-user.target.wants" / unit).is_symlink()
    assert (
        "ExecStart=/usr/bin/python3 -m osconf watch"
        in (systemd_tree / "etc/systemd/system/osconf-watch.service").read_text()
    )
    # The boot unit runs the light entry point with the system interpreter.
    assert (
        'ExecStart=/usr/bin/python3 -I -c "import osconf.service as s; s.boot()"'
        in (systemd_tree / "etc/systemd/system/osconf.service").read_text()
    )
    assert os.access(sysv_tree / "etc/init.d/osconf", os.X_OK)
    assert [p.name for p in sysv_tree.glob("etc/rc*.d/S*osconf")]


def test_deb_owns_its_units_and_never_starts_osconf(tmp_path: Path) -> None:
    require_tool("dpkg-buildpackage", package="dpkg-dev")
    deb = packages.build_deb(tmp_path)
    assert deb.name == f"osconf_{VERSION}_all.deb"
    files = {line.split()[-1].lstrip(".") for line in _run("dpkg-deb", "-c", str(deb)).splitlines()}
    for unit in ("osconf.service", "osconf-watch.service"):
        assert f"/lib/systemd/system/{unit}" in files
    assert "/etc/init.d/osconf" in files and "/usr/bin/osconf" in files
    assert "/usr/lib/python3/dist-packages/osconf/_assets/units/osconf.service" in files
    extracted = tmp_path / "x"
    subprocess.run(["dpkg-deb", "-R", str(deb), str(extracted)], check=True)
    # The repository's script, started in rcS where Debian brings the
    # network up (debian/rules sets Default-Start).
    shipped = (extracted / "etc/init.d/osconf").read_text()
    assert re.search(r"^# Default-Start:\s+S$", shipped, re.M)
    source = (REPO / "initscripts/osconf").read_text()
    assert re.sub(r"^# Default-Start:.*$", "", shipped, flags=re.M) == re.sub(
        r"^# Default-Start:.*$", "", source, flags=re.M
    )
    assert (extracted / "lib/systemd/system/osconf.service").read_bytes() == (
        REPO / "units/osconf.service"
    ).read_bytes()
    launcher = (extracted / "usr/bin/osconf").read_text()
    assert launcher.startswith("#!/usr/bin/python3\n") and "from osconf.cli import main" in launcher
    depends = _run("dpkg-deb", "-f", str(deb), "Depends")
    assert "python3-netaddr" in depends and "python3-pyroute2" in depends
    assert "python3-systemd" in _run("dpkg-deb", "-f", str(deb), "Recommends")
    postinst = (extracted / "DEBIAN/postinst").read_text()
    assert "deb-systemd-helper enable 'osconf.service'" in postinst
    # The watcher is opt-in (`osconf install --watch`): shipped, not enabled
    # (test_packages_install.py installs the package and asks systemctl).
    assert "update-rc.d osconf defaults" in postinst
    # Never started by the installation (an image build), in any init system.
    assert "deb-systemd-invoke start" not in postinst
    assert "invoke-rc.d osconf start" not in postinst
    assert "deb-systemd-invoke $_dh_action 'osconf.service'" not in postinst


def test_rpm_lists_its_units_and_requirements(tmp_path: Path) -> None:
    rpm = require_tool("rpm")
    require_tool("rpmbuild", package="rpm")
    built = packages.build_rpm(tmp_path)
    assert built.name == f"osconf-{VERSION}-1.noarch.rpm"
    files = _run(rpm, "-qpl", str(built)).split()
    for unit in ("osconf.service", "osconf-watch.service"):
        assert f"/usr/lib/systemd/system/{unit}" in files
    assert "/usr/lib/systemd/system-preset/80-osconf.preset" in files
    assert "/usr/bin/osconf" in files
    assert any(f.endswith("/osconf/_assets/initscripts/osconf") for f in files)
    assert any(f.endswith("/LICENSE") for f in files)
    requires = _run(rpm, "-qpR", str(built)).splitlines()
    assert "python3-netaddr" in requires and "python3-pyroute2" in requires
    scripts = _run(rpm, "-qp", "--scripts", str(built))
    assert "systemctl --no-reload preset osconf.service osconf-watch.service" in scripts
    assert " start " not in scripts.replace("\n", " ")
    # The preset enables the boot service; the watcher is opt-in.
    archive = subprocess.run(["rpm2cpio", str(built)], stdout=subprocess.PIPE, check=True).stdout
    preset = subprocess.run(
        [
            "cpio",
            "-i",
            "--quiet",
            "--to-stdout",
            "./usr/lib/systemd/system-preset/80-osconf.preset",
        ],
        input=archive,
        stdout=subprocess.PIPE,
        check=True,
    ).stdout.decode()
    assert preset == "enable osconf.service\n"
    assert _run(rpm, "-qp", "--qf", "%{ARCH} %{LICENSE}", str(built)) == "noarch MIT"


def _rpm_file(rpm: Path, path: str) -> str:
    archive = subprocess.run(["rpm2cpio", str(rpm)], stdout=subprocess.PIPE, check=True).stdout
    return subprocess.run(
        ["cpio", "-i", "--quiet", "--to-stdout", "." + path],
        input=archive,
        stdout=subprocess.PIPE,
        check=True,
    ).stdout.decode()


def test_rpm_boot_unit_runs_the_interpreter_it_is_built_for(tmp_path: Path) -> None:
    """RHEL 8 builds with %{__python3} = /usr/libexec/platform-python: the
    unit must say so (there may be no /usr/bin/python3). Here a path other
    than /usr/bin/python3 that this host can build with stands in for it."""
    require_tool("rpmbuild", package="rpm")
    python = os.path.realpath("/usr/bin/python3")
    assert python != "/usr/bin/python3"
    built = packages.build_rpm_with(tmp_path / "out", {"__python3": python})
    unit = _rpm_file(built, "/usr/lib/systemd/system/osconf.service")
    assert f'\nExecStart={python} -I -c "import osconf.service as s; s.boot()"\n' in unit
    assert _rpm_file(built, "/usr/bin/osconf").startswith(f"#!{python} -s\n")


def test_builds_leave_nothing_in_the_checkout(tmp_path: Path) -> None:
    def listing() -> Set[str]:
        status = _run(
            "git", "-C", str(REPO), "status", "--porcelain", "--ignored", "--untracked-files=all"
        )
        return set(status.splitlines())

    # Compared with the tree before the builds: an editable install's
    # osconf.egg-info or other tests' caches are not products of these builds.
    before = listing()
    packages.build_wheel(tmp_path)
    packages.build_sdist(tmp_path)
    product = re.compile(
        r"^.. ((build|dist)/|[^/]+\.egg-info/"
        r"|debian/(osconf/|\.debhelper/|files$|debhelper-build-stamp))"
    )
    products = [line for line in listing() - before if product.search(line)]
    assert products == []
