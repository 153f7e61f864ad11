"""`osconf install` after the .deb/.rpm: the package's units are only
enabled (a copy in /etc/systemd/system would shadow them on upgrades), and
`uninstall` leaves the package's files (issue 13)."""

import os
from pathlib import Path

import pytest

from osconf.install import install, uninstall
from osconf.system import System


def _image(tmp_path: Path, units: str) -> Path:
    root = tmp_path / "image"
    (root / "usr/lib/systemd").mkdir(parents=True)
    (root / "usr/lib/systemd/systemd").write_text("")
    (root / units.lstrip("/")).mkdir(parents=True, exist_ok=True)
    for unit in ("osconf.service", "osconf-watch.service"):
        (root / units.lstrip("/") / unit).write_text(f"[Unit]\nDescription=packaged {unit}\n")
    (root / "etc/init.d").mkdir(parents=True)
    (root / "etc/init.d/osconf").write_text("#!/bin/sh\n# packaged\n")
    (root / "etc/osconf.conf").write_text("# packaged\n")
    (root / "var/lib/dpkg/info").mkdir(parents=True)
    (root / "var/lib/dpkg/info/osconf.list").write_text(
        "/.\n/etc\n/etc/init.d/osconf\n/etc/osconf.conf\n"
        f"{units}/osconf.service\n{units}/osconf-watch.service\n"
    )
    return root


@pytest.mark.parametrize("units", ["/lib/systemd/system", "/usr/lib/systemd/system"])
def test_the_packaged_unit_is_only_enabled(tmp_path: Path, units: str) -> None:
    root = _image(tmp_path, units)
    # What an earlier `osconf install` (before the package) left: it shadows.
    (root / "etc/systemd/system").mkdir(parents=True)
    (root / "etc/systemd/system/osconf.service").write_text("[Unit]\nDescription=old copy\n")
    done = install(System(root), None, watch=True)
    assert not (root / "etc/systemd/system/osconf.service").exists(), done
    assert not (root / "etc/systemd/system/osconf-watch.service").exists(), done
    wants = root / "etc/systemd/system/multi-user.target.wants"
    for unit in ("osconf.service", "osconf-watch.service"):
        assert os.readlink(wants / unit) == f"{units}/{unit}"
        assert (root / units.lstrip("/") / unit).read_text().startswith("[Unit]\nDescription=pack")
    assert any("shadowed the packaged" in line for line in done), done
    assert (root / "etc/init.d/osconf").read_text() == "#!/bin/sh\n# packaged\n"
    assert (root / "etc/osconf.conf").read_text() == "# packaged\n"

    done = uninstall(System(root))
    assert not os.path.lexists(wants / "osconf.service")
    for unit in ("osconf.service", "osconf-watch.service"):
        assert (root / units.lstrip("/") / unit).exists(), "the package's file"
    assert (root / "etc/init.d/osconf").exists() and (root / "etc/osconf.conf").exists()
    assert "kept /etc/osconf.conf (the osconf package's)" in done


def test_uninstall_keeps_the_rpms_config_file(tmp_path: Path) -> None:
    """An .rpm image: the package's units under /usr/lib/systemd/system and its
    %config /etc/osconf.conf, no dpkg list (rpm's database is not read)."""
    root = _image(tmp_path, "/usr/lib/systemd/system")
    os.unlink(root / "var/lib/dpkg/info/osconf.list")
    os.unlink(root / "etc/init.d/osconf")
    install(System(root), "LABEL=rpmroot")
    assert "partition=LABEL=rpmroot" in (root / "etc/osconf.conf").read_text()
    done = uninstall(System(root))
    assert (root / "etc/osconf.conf").exists(), done
    assert "kept /etc/osconf.conf (the osconf package's)" in done
    assert (root / "usr/lib/systemd/system/osconf.service").exists()


def test_without_a_package_install_writes_its_own_unit(tmp_path: Path) -> None:
    root = tmp_path / "image"
    (root / "usr/lib/systemd").mkdir(parents=True)
    (root / "usr/lib/systemd/systemd").write_text("")
    install(System(root), None)
    unit = root / "etc/systemd/system/osconf.service"
    assert "ExecStart=" in unit.read_text()
    wants = root / "etc/systemd/system/multi-user.target.wants/osconf.service"
    assert os.readlink(wants) == "/etc/systemd/system/osconf.service"
    uninstall(System(root))
    assert not unit.exists() and not (root / "etc/osconf.conf").exists()
