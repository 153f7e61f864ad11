"""osconf installed into a Debian 12 image the way image builders do it.

Two cached Debian 12 trees (mmdebstrap, the host's mirror): one booting
with systemd, one with sysvinit. Into a copy of each, inside a chroot
without /proc, as in an image build:

* the wheel, with the image's own pip (dependencies from Debian's
  packages, by the image's apt), then `osconf install`;
* the wheel into a venv (`python3 -m venv`), then the venv's `osconf
  install`: the boot unit runs the venv's interpreter;
* the .deb, with the image's apt (which fetches the dependencies).

Each must leave an enabled boot service (multi-user.target.wants links /
rc.d links) and must not have started osconf: the trees carry a
`policy-rc.d` that denies and records every start request, as image
builders set up.
"""

import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest

from tests.helpers import debtree, packages
from tests.helpers.tools import require_root, require_tool

pytestmark = pytest.mark.integration

SUITE = "bookworm"
TREES: Dict[str, List[str]] = {
    "systemd": ["systemd", "systemd-sysv", "python3", "python3-pip"],
    "sysv": ["sysvinit-core", "python3", "python3-pip"],
}
# Keep the package lists: apt in the image installs the dependencies.
OPTIONS = ["--skip=cleanup/apt/lists"]
POLICY = """#!/bin/sh
# Image build: no service starts. Every request is recorded for the test.
echo "$*" >> /var/log/policy-rc.d.log
exit 101
"""
BOOT_UNIT = "osconf.service"
WATCH_UNIT = "osconf-watch.service"  # opt-in: never enabled by an installation


def _image(kind: str, where: Path) -> Path:
    require_root()
    require_tool("mmdebstrap")
    base = debtree.tree(f"pkg-{kind}", SUITE, TREES[kind], OPTIONS)
    image = debtree.copy(base, where / "image")
    resolv = image / "etc/resolv.conf"
    if resolv.is_symlink() or resolv.exists():
        resolv.unlink()
    shutil.copyfile("/etc/resolv.conf", resolv)
    policy = image / "usr/sbin/policy-rc.d"
    policy.write_text(POLICY)
    policy.chmod(0o755)
    assert not (image / "proc/self").exists(), "the image build runs without /proc"
    return image


def _chroot(image: Path, *argv: str) -> "subprocess.CompletedProcess[str]":
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": "/root",
        "LC_ALL": "C.UTF-8",
        "DEBIAN_FRONTEND": "noninteractive",
    }
    return subprocess.run(
        ["chroot", str(image), *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        timeout=900,
    )


def _ok(result: "subprocess.CompletedProcess[str]") -> str:
    assert result.returncode == 0, f"{result.args}\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
    return result.stdout


def _apt_install(image: Path, *what: str) -> None:
    _ok(
        _chroot(
            image,
            "apt-get",
            "-o",
            "APT::Sandbox::User=root",
            "install",
            "-y",
            "-q",
            "--no-install-recommends",
            *what,
        )
    )


def _is_enabled(image: Path, unit: str) -> str:
    return subprocess.run(
        ["systemctl", f"--root={image}", "is-enabled", unit],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    ).stdout.strip()


def _assert_enabled_not_started(image: Path, kind: str) -> None:
    if kind == "systemd":
        assert _is_enabled(image, BOOT_UNIT) == "enabled"
        assert (image / "etc/systemd/system/multi-user.target.wants" / BOOT_UNIT).is_symlink()
        assert _is_enabled(image, WATCH_UNIT) != "enabled"
    else:
        links = sorted(str(p.relative_to(image)) for p in image.glob("etc/rc*.d/S*osconf"))
        assert links, "no rc.d start link"
        for link in links:
            assert os.readlink(image / link) == "../init.d/osconf", link
        assert os.access(image / "etc/init.d/osconf", os.X_OK)
    log = image / "var/log/policy-rc.d.log"
    requests = log.read_text() if log.exists() else ""
    assert "osconf" not in requests, requests
    assert not (image / "var/lib/osconf").exists(), "osconf ran during the installation"


@pytest.mark.parametrize("kind", sorted(TREES))
def test_wheel_by_the_images_pip_then_osconf_install(kind: str, tmp_path: Path) -> None:
    image = _image(kind, tmp_path)
    wheel = packages.build_wheel(image / "tmp")
    # Dependencies as the README says: the distribution's packages.
    _apt_install(image, "python3-netaddr", "python3-pyroute2")
    _ok(
        _chroot(
            image,
            "python3",
            "-m",
            "pip",
            "install",
            "-q",
            "--no-index",
            "--break-system-packages",
            f"/tmp/{wheel.name}",
        )
    )
    result = _chroot(image, "osconf", "install")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cannot read" not in result.stderr and "Traceback" not in result.stderr
    assert "searched at boot" in result.stderr
    assert "WARNING" not in result.stderr.upper(), result.stderr
    assert "runs as: /usr/local/bin/osconf" in result.stdout
    _assert_enabled_not_started(image, kind)
    if kind == "systemd":
        # The boot unit's interpreter finds the pip-installed copy.
        unit = (image / "etc/systemd/system/osconf.service").read_text()
        assert 'ExecStart=/usr/bin/python3 -I -c "import osconf.service' in unit
        _ok(_chroot(image, "/usr/bin/python3", "-I", "-c", "import osconf.service"))
    else:
        script = (image / "etc/init.d/osconf").read_text()
        assert "OSCONF=/usr/local/bin/osconf\n" in script
    # The installed copy runs in the image, with the image's libraries.
    _ok(_chroot(image, "osconf", "validate", "--help"))


def test_wheel_into_a_venv_then_osconf_install(tmp_path: Path) -> None:
    """A venv install: its osconf.service runs the venv's interpreter, which
    imports osconf (the distribution's /usr/bin/python3 cannot)."""
    image = _image("systemd", tmp_path)
    wheel = packages.build_wheel(image / "tmp")
    venv = "/opt/osconf/venv"
    # The dependencies from Debian, seen through --system-site-packages; osconf
    # itself only in the venv.
    _apt_install(image, "python3-venv", "python3-netaddr", "python3-pyroute2")
    _ok(_chroot(image, "python3", "-m", "venv", "--system-site-packages", venv))
    _ok(_chroot(image, f"{venv}/bin/pip", "install", "-q", "--no-index", f"/tmp/{wheel.name}"))
    result = _chroot(image, f"{venv}/bin/osconf", "install")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"runs as: {venv}/bin/osconf" in result.stdout
    _assert_enabled_not_started(image, "systemd")
    unit = (image / "etc/systemd/system" / BOOT_UNIT).read_text()
    exec_start = next(x for x in unit.splitlines() if x.startswith("ExecStart="))
    argv = shlex.split(exec_start[len("ExecStart=") :])
    assert argv == [f"{venv}/bin/python3", "-I", "-c", "import osconf.service as s; s.boot()"]
    assert _chroot(image, "/usr/bin/python3", "-I", "-c", "import osconf").returncode != 0
    # The unit's own command line, run in the image: the boot entry point
    # starts, reads the switches and stops there (disabled: touches nothing).
    (image / "etc/osconf").mkdir()
    (image / "etc/osconf/disabled").write_text("")
    boot = _chroot(image, *argv)
    assert boot.returncode == 0, boot.stdout + boot.stderr
    assert "osconf is disabled" in boot.stdout + boot.stderr
    watch = _chroot(image, f"{venv}/bin/osconf", "install", "--watch")
    assert watch.returncode == 0, watch.stderr
    watch_unit = (image / "etc/systemd/system" / WATCH_UNIT).read_text()
    assert f"\nExecStart={venv}/bin/osconf watch\n" in watch_unit


@pytest.mark.parametrize("kind", sorted(TREES))
def test_deb_by_the_images_apt(kind: str, tmp_path: Path) -> None:
    require_tool("dpkg-buildpackage", package="dpkg-dev")
    image = _image(kind, tmp_path)
    deb = packages.build_deb(image / "tmp")
    _apt_install(image, f"/tmp/{deb.name}")
    for path in ("/lib/systemd/system/osconf.service", "/etc/init.d/osconf", "/usr/bin/osconf"):
        assert _ok(_chroot(image, "dpkg", "-S", path)).startswith("osconf: "), path
    _assert_enabled_not_started(image, kind)
    assert not (image / "etc/systemd/system/osconf.service").exists()
    status = _ok(_chroot(image, "dpkg-query", "-W", "-f", "${Status}", "python3-pyroute2"))
    assert status == "install ok installed"
    _ok(_chroot(image, "osconf", "validate", "--help"))
    # `osconf install` after the package (as image recipes do) only enables
    # the package's unit: a copy in /etc/systemd/system would shadow it on
    # every upgrade. The packaged SysV script (a conffile) is left as it is.
    script = (image / "etc/init.d/osconf").read_bytes()
    said = _ok(_chroot(image, "osconf", "install"))
    assert not (image / "etc/systemd/system/osconf.service").exists(), said
    assert (image / "etc/init.d/osconf").read_bytes() == script
    _assert_enabled_not_started(image, kind)
    if kind == "systemd":
        assert "enabled /lib/systemd/system/osconf.service (from the package" in said, said
        link = image / "etc/systemd/system/multi-user.target.wants" / BOOT_UNIT
        assert os.readlink(link) == "/lib/systemd/system/osconf.service"
    assert _ok(_chroot(image, "dpkg", "--verify", "osconf")) == ""
    # uninstall disables, and leaves the package's files to the package manager.
    said = _ok(_chroot(image, "osconf", "uninstall"))
    assert "kept /etc/init.d/osconf (the osconf package's)" in said, said
    assert _ok(_chroot(image, "dpkg", "--verify", "osconf")) == ""
    if kind == "systemd":
        assert _is_enabled(image, BOOT_UNIT) == "disabled"
    _ok(_chroot(image, "osconf", "install"))
    _assert_enabled_not_started(image, kind)
    # Purging takes the registration with it.
    _ok(_chroot(image, "dpkg", "--purge", "osconf"))
    assert not list((image / "etc").rglob("*osconf*"))
