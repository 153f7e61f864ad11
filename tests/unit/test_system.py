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


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    for i in range(7):
        (outside / f"2020010{i + 1}T000000.000000000").write_text("host file\n")
    (outside / "shadow").write_text("host shadow\n")
    return outside


@pytest.mark.parametrize(
    "link", ["var", "var/lib/osconf", "var/lib/osconf/backup", "var/lib/osconf/backup/etc/hosts"]
)
@pytest.mark.parametrize("style", ["absolute", "relative"])
def test_backups_never_leave_the_root(tmp_path: Path, link: str, style: str) -> None:
    # Issue 13, item 1: a linked backup area wrote and pruned host files.
    outside = _outside(tmp_path)
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/hosts").write_text("old\n")
    host = root / link
    host.parent.mkdir(parents=True, exist_ok=True)
    climb = "../" * (len(Path(link).parts) + 1)
    os.symlink(str(outside) if style == "absolute" else f"{climb}outside", host)
    before = {p.name: p.read_text() for p in outside.iterdir()}
    if link.startswith("var/lib/osconf/backup/"):
        # Below the backup area nothing is followed: the write fails whole.
        with pytest.raises(NotADirectoryError):
            System(root).write_file("/etc/hosts", "new\n")
        assert (root / "etc/hosts").read_text() == "old\n"
    else:
        # The area itself may be a link (a /var elsewhere): resolved inside.
        System(root).write_file("/etc/hosts", "new\n")
        assert (root / "etc/hosts").read_text() == "new\n"
    assert {p.name: p.read_text() for p in outside.iterdir()} == before


def test_a_link_below_the_backup_area_fails_the_write_not_the_host(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc/hosts").write_text("old\n")
    (root / "var/lib/osconf/backup").mkdir(parents=True)
    os.symlink("/etc", root / "var/lib/osconf/backup/etc")  # inside, but never followed
    with pytest.raises(NotADirectoryError, match="symbolic link"):
        System(root).write_file("/etc/hosts", "new\n")
    assert (root / "etc/hosts").read_text() == "old\n"
    assert len(list(outside.iterdir())) == 8


@pytest.mark.parametrize("style", ["absolute", "relative"])
def test_removal_through_a_linked_parent_stays_inside(tmp_path: Path, style: str) -> None:
    # Issue 13, item 2: a conflict removal deleted a host file.
    outside = _outside(tmp_path)
    root = tmp_path / "root"
    (root / "etc/NetworkManager").mkdir(parents=True)
    target = str(outside) if style == "absolute" else "../../../outside"
    os.symlink(target, root / "etc/NetworkManager/system-connections")
    system = System(root)
    assert not system.remove_file("/etc/NetworkManager/system-connections/shadow")
    assert (outside / "shadow").read_text() == "host shadow\n"
    assert not (root / BACKUP_DIR.lstrip("/")).exists()


def test_links_are_made_inside_the_root(tmp_path: Path) -> None:
    # Issue 13, item 2: install through a linked /etc/rcN.d replaced host files.
    outside = _outside(tmp_path)
    (outside / "S09osconf").write_text("host\n")
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    os.symlink(str(outside), root / "etc/rc2.d")
    system = System(root)
    assert system.symlink("/etc/rc2.d/S09osconf", "../init.d/osconf")
    assert (outside / "S09osconf").read_text() == "host\n"
    assert os.readlink(root / str(outside).lstrip("/") / "S09osconf") == "../init.d/osconf"
    assert not system.symlink("/etc/rc2.d/S09osconf", "../init.d/osconf")
    assert system.remove_file("/etc/rc2.d/S09osconf")
    assert (outside / "S09osconf").read_text() == "host\n"


@pytest.mark.parametrize("kind", ["fifo", "socket", "directory"])
def test_only_regular_files_are_read(tmp_path: Path, kind: str) -> None:
    import socket

    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    if kind == "fifo":
        os.mkfifo(root / "etc/hosts")  # opening it blocking would hang forever
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(root / "etc/hosts"))
    else:
        (root / "etc/hosts").mkdir()
    system = System(root)
    with pytest.raises(OSError, match="not a regular file"):
        system.read_bytes("/etc/hosts")
    with pytest.raises(OSError, match="not a regular file"):
        system.write_file("/etc/hosts", "x")
    assert not system.is_file("/etc/hosts")


def test_the_os_conf_read_limit_is_the_parsers() -> None:
    from osconf.locate import CONF_LIMIT
    from osconf.parse import MAX_BYTES

    assert CONF_LIMIT == MAX_BYTES
