"""The side-effect layer: confined to its root, atomic, backed up."""

import os
from pathlib import Path

import pytest

from osconf.system import BACKUP_DIR, System


def test_paths_stay_inside_the_root(tmp_path: Path) -> None:
    system = System(tmp_path)
    assert system.host_path("/etc/hosts") == tmp_path / "etc/hosts"
    with pytest.raises(ValueError):
        system.host_path("/etc/../../outside")
    with pytest.raises(ValueError):
        system.host_path("relative")


def test_links_are_resolved_inside_the_root(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "run/x").mkdir(parents=True)
    (tmp_path / "run/x/file").write_text("inside\n")
    os.symlink("/run/x/file", tmp_path / "etc/absolute")
    os.symlink("../run/x/file", tmp_path / "etc/relative")
    os.symlink("../../../../../../run/x/file", tmp_path / "etc/climbing")
    system = System(tmp_path)
    for name in ("absolute", "relative", "climbing"):
        assert system.resolve(f"/etc/{name}") == "/run/x/file"
        assert system.read_text(f"/etc/{name}") == "inside\n"
    os.symlink("loop", tmp_path / "etc/loop")
    with pytest.raises(OSError):
        system.resolve("/etc/loop")


def test_write_is_atomic_keeps_mode_owner_and_backs_up(tmp_path: Path) -> None:
    system = System(tmp_path, keep_backups=2)
    target = tmp_path / "etc/shadow"
    target.parent.mkdir()
    target.write_text("v0\n")
    os.chmod(target, 0o640)
    os.chown(target, 0, 42)
    for version in ("v1\n", "v2\n", "v3\n"):
        assert system.write_file("/etc/shadow", version)
    assert target.read_text() == "v3\n"
    st = target.stat()
    assert (st.st_mode & 0o777, st.st_uid, st.st_gid) == (0o640, 0, 42)
    backups = sorted((tmp_path / BACKUP_DIR.lstrip("/") / "etc/shadow").iterdir())
    assert [b.read_text() for b in backups] == ["v1\n", "v2\n"]  # bounded: newest two
    assert all(b.stat().st_mode & 0o077 == 0 for b in backups)
    assert sorted(os.listdir(tmp_path / "etc")) == ["shadow"]  # no temporary left


def test_unchanged_content_is_not_rewritten(tmp_path: Path) -> None:
    system = System(tmp_path)
    assert system.write_file("/etc/hostname", "a\n")
    inode = (tmp_path / "etc/hostname").stat().st_ino
    assert not system.write_file("/etc/hostname", "a\n")
    assert (tmp_path / "etc/hostname").stat().st_ino == inode
    assert not (tmp_path / BACKUP_DIR.lstrip("/")).exists()


def test_new_file_mode(tmp_path: Path) -> None:
    system = System(tmp_path)
    system.write_file("/etc/netplan/x.yaml", "a", mode=0o600)
    assert (tmp_path / "etc/netplan/x.yaml").stat().st_mode & 0o777 == 0o600


def test_write_through_link_replaces_the_target(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "data").mkdir()
    (tmp_path / "data/real").write_text("old")
    os.symlink("/data/real", tmp_path / "etc/link")
    System(tmp_path).write_file("/etc/link", "new")
    assert (tmp_path / "etc/link").is_symlink()
    assert (tmp_path / "data/real").read_text() == "new"


def test_remove_keeps_a_backup(tmp_path: Path) -> None:
    system = System(tmp_path)
    system.write_file("/etc/x", "content")
    assert system.remove_file("/etc/x")
    assert not (tmp_path / "etc/x").exists()
    (backup,) = (tmp_path / BACKUP_DIR.lstrip("/") / "etc/x").iterdir()
    assert backup.read_text() == "content"
    assert not system.remove_file("/etc/x")


def test_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    system = System(tmp_path)
    system.write_file("/etc/x", "old")
    (tmp_path / "etc/x.d").mkdir()
    with pytest.raises(IsADirectoryError):
        system.write_file("/etc/x.d", "new")
    assert (tmp_path / "etc/x").read_text() == "old"


def test_run_passes_argv_items_and_stdin(tmp_path: Path) -> None:
    system = System(tmp_path)
    out = system.run(["cat"], stdin=b"$(not run)").stdout
    assert out == b"$(not run)"
    with pytest.raises(Exception, match="false"):
        system.run(["false"])


def test_live_hostname_is_not_touched_for_a_tree(tmp_path: Path) -> None:
    import socket

    before = socket.gethostname()
    assert not System(tmp_path).set_live_hostname("never-set-this")
    assert socket.gethostname() == before
