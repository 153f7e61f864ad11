"""Fault injection: a run killed at any point, a full disk, files that resist.

`osconf apply` is SIGKILLed after every action of its plan
(`OSCONF_TEST_KILL_AFTER`) and inside every file write between the synced
temporary file and its rename (`OSCONF_TEST_KILL_IN_WRITE`). After each kill
every file holds exactly its old or its new content, no backup is truncated,
os.conf is still there, and a re-run finishes the job. Then the target
fights back: no space left, an immutable /etc/hosts, a dangling
/etc/resolv.conf link, no /etc/hosts at all.
"""

import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from osconf.apply import KILL_AFTER_VARIABLE
from osconf.errors import ExitCode
from osconf.sha512crypt import verify
from osconf.system import BACKUP_DIR, KILL_IN_WRITE_VARIABLE
from tests.conftest import REPO, SAMPLES, make_root, run_osconf
from tests.golden.test_core_golden import snapshot
from tests.helpers.tools import IN_CI, require_root, require_tool

PASSWORD = "qwer1234"
EXTRA = {"etc/sysconfig/network": "NETWORKING=yes\nHOSTNAME=old\n"}
BACKUPS = BACKUP_DIR.lstrip("/") + "/"


def _conf(tmp_path: Path) -> Path:
    conf = tmp_path / "boot/aliyun_custom_image/os.conf"
    conf.parent.mkdir(parents=True)
    conf.write_bytes((SAMPLES / "classic.conf").read_bytes())
    return conf


def _apply(root: Path, conf: Path, **env: str) -> "subprocess.CompletedProcess[str]":
    return run_osconf("apply", "--root", str(root), "--conf", str(conf), env=env)


def _shadow_is_new(data: bytes, new: bytes) -> bool:
    """A shadow file equal to `new` except for the (salted) root hash, which verifies."""
    lines, wanted = data.decode().splitlines(), new.decode().splitlines()
    if len(lines) != len(wanted):
        return False
    for line, want in zip(lines, wanted):
        fields, want_fields = line.split(":"), want.split(":")
        if fields[0] == "root":
            if not verify(PASSWORD, fields[1]):
                return False
            fields[1] = want_fields[1]
        if fields != want_fields:
            return False
    return True


def _assert_whole(files: Dict[str, bytes], old: Dict[str, bytes], new: Dict[str, bytes]) -> None:
    """Every file is its old or its new content; every backup a full old copy."""
    for rel, data in files.items():
        if ".osconf-tmp." in rel:
            continue  # checked by the caller: only a kill inside a write leaves one
        if rel.startswith(BACKUPS):
            original = rel[len(BACKUPS) :].rsplit("/", 1)[0]
            assert data == old[original], f"backup {rel} is not the old {original}"
            continue
        if rel == "etc/shadow" and data != old[rel]:
            assert _shadow_is_new(data, new[rel]), "etc/shadow is neither old nor new"
            continue
        assert data in (old.get(rel), new.get(rel)), f"{rel} is half-written"
    lost = set(old) - set(files)
    assert not lost, f"files vanished: {lost}"


def _temporaries(files: Dict[str, bytes]) -> List[str]:
    return [rel for rel in files if ".osconf-tmp." in rel]


def _without_backups(files: Dict[str, bytes]) -> Dict[str, bytes]:
    return {rel: data for rel, data in files.items() if not rel.startswith(BACKUPS)}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Tuple[Dict[str, bytes], ...]:
    """The tree before and after one uninterrupted run."""
    base = tmp_path_factory.mktemp("reference")
    root = make_root(base / "root", EXTRA)
    old = snapshot(root)
    result = _apply(root, _conf(base))
    assert result.returncode == 0, result.stderr
    return old, snapshot(root)


@pytest.mark.parametrize("variable", [KILL_AFTER_VARIABLE, KILL_IN_WRITE_VARIABLE])
def test_killed_at_every_step_leaves_whole_files_and_a_rerun_finishes(
    variable: str, tmp_path: Path, reference: Tuple[Dict[str, bytes], ...]
) -> None:
    old, new = reference
    killed = 0
    for step in range(1, 30):
        case = tmp_path / str(step)
        root, conf = make_root(case / "root", EXTRA), _conf(case)
        result = _apply(root, conf, **{variable: str(step)})
        if result.returncode == 0:
            break  # the plan had fewer steps: the last run was not cut off
        assert result.returncode == -9, result.stderr
        killed += 1
        files = snapshot(root)
        _assert_whole(files, old, new)
        leftovers = _temporaries(files)
        assert len(leftovers) <= (1 if variable == KILL_IN_WRITE_VARIABLE else 0), leftovers
        assert conf.read_bytes() == (SAMPLES / "classic.conf").read_bytes()

        rerun = _apply(root, conf)
        assert rerun.returncode == 0, rerun.stderr
        files = snapshot(root)
        _assert_whole(files, old, new)
        assert _temporaries(files) == []
        assert set(_without_backups(files)) == set(_without_backups(new))
        for rel, data in _without_backups(files).items():
            if rel != "etc/shadow":
                assert data == new[rel], rel
        again = _apply(root, conf)
        assert "0 changed" in again.stderr, again.stderr
    # classic sample + sysconfig: 6 actions, 5 file writes; every one was cut.
    assert killed >= (6 if variable == KILL_AFTER_VARIABLE else 5)


def test_bytes_that_are_not_utf8_in_edited_files_are_kept(tmp_path: Path) -> None:
    # Old images carry Latin-1 comments; the lines osconf does not own stay byte for byte.
    root = make_root(tmp_path / "root")
    (root / "etc/hosts").write_bytes(b"127.0.0.1\tlocalhost\n# caf\xe9 server\n")
    (root / "etc/resolv.conf").write_bytes(b"search ex\n# r\xe9solveur\nnameserver 1.1.1.1\n")
    result = _apply(root, _conf(tmp_path))
    assert result.returncode == 0, result.stderr
    assert b"# caf\xe9 server\n" in (root / "etc/hosts").read_bytes()
    assert (root / "etc/resolv.conf").read_bytes() == (
        b"search ex\n# r\xe9solveur\nnameserver 7.7.7.7\nnameserver 8.8.8.8\n"
    )


def test_missing_hosts_is_created_with_localhost(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    (root / "etc/hosts").unlink()
    result = _apply(root, _conf(tmp_path))
    assert result.returncode == 0, result.stderr
    hosts = (root / "etc/hosts").read_text().splitlines()
    assert hosts[0].split() == ["127.0.0.1", "localhost"]
    assert "10.171.254.123\tiZ23r29djmjZ\t# osconf" in hosts
    assert (root / "etc/hosts").stat().st_mode & 0o777 == 0o644


def test_dangling_unknown_resolv_conf_link_becomes_a_file(tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    (root / "etc/resolv.conf").unlink()
    os.symlink("../run/gone/resolv.conf", root / "etc/resolv.conf")
    result = _apply(root, _conf(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "dangling link to ../run/gone/resolv.conf" in result.stderr
    resolv = root / "etc/resolv.conf"
    assert not resolv.is_symlink()
    assert resolv.read_text() == "nameserver 7.7.7.7\nnameserver 8.8.8.8\n"


def test_dangling_resolved_link_is_kept_and_resolved_configured(tmp_path: Path) -> None:
    # In an image systemd-resolved is not running: its stub file does not exist yet.
    root = make_root(tmp_path / "root")
    (root / "etc/resolv.conf").unlink()
    os.symlink("../run/systemd/resolve/stub-resolv.conf", root / "etc/resolv.conf")
    result = _apply(root, _conf(tmp_path))
    assert result.returncode == 0, result.stderr
    assert os.readlink(root / "etc/resolv.conf") == "../run/systemd/resolve/stub-resolv.conf"
    dropin = (root / "etc/systemd/resolved.conf.d/osconf.conf").read_text()
    assert "DNS=7.7.7.7 8.8.8.8" in dropin


@pytest.mark.integration
def test_immutable_hosts_fails_alone_and_the_rest_is_applied(tmp_path: Path) -> None:
    require_root()
    chattr = require_tool("chattr", package="e2fsprogs")
    root = make_root(tmp_path / "root")
    hosts = root / "etc/hosts"
    before = hosts.read_bytes()
    locked = subprocess.run(
        [chattr, "+i", str(hosts)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
    )
    if locked.returncode != 0:
        message = f"chattr +i unsupported on {tmp_path}: {locked.stderr.strip()}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    try:
        result = _apply(root, _conf(tmp_path))
    finally:
        subprocess.run([chattr, "-i", str(hosts)], check=True)
    assert result.returncode == ExitCode.APPLY_FAILED, result.stderr
    failures = [line for line in result.stderr.splitlines() if "failed: write /etc/hosts" in line]
    assert failures and "Operation not permitted" in failures[0], result.stderr
    assert hosts.read_bytes() == before
    assert (root / "etc/hostname").read_text() == "iZ23r29djmjZ\n"
    assert "nameserver 7.7.7.7" in (root / "etc/resolv.conf").read_text()
    assert _temporaries(snapshot(root)) == []


DISK_FULL = r"""
set -eu
mount -t tmpfs -o size=1m,mode=0755 tmpfs "$ROOT"
cp -a "$SOURCE"/. "$ROOT"/
dd if=/dev/zero of="$ROOT/filler" bs=4k 2>/dev/null || true
"$PYTHON" -m osconf apply --root "$ROOT" --conf "$CONF" >"$OUT/full.out" 2>"$OUT/full.err" \
    && echo 0 >"$OUT/full.rc" || echo $? >"$OUT/full.rc"
tar -C "$ROOT" --exclude=./filler -cf "$OUT/full.tar" .
rm "$ROOT/filler"
"$PYTHON" -m osconf apply --root "$ROOT" --conf "$CONF" >"$OUT/freed.out" 2>"$OUT/freed.err" \
    && echo 0 >"$OUT/freed.rc" || echo $? >"$OUT/freed.rc"
tar -C "$ROOT" -cf "$OUT/freed.tar" .
"""


def _untar(path: Path) -> Dict[str, bytes]:
    files = {}
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            if member.isfile():
                handle = tar.extractfile(member)
                assert handle is not None
                files[os.path.normpath(member.name)] = handle.read()
            elif member.issym():
                files[os.path.normpath(member.name)] = member.linkname.encode()
    return files


@pytest.mark.integration
def test_disk_full_changes_nothing_and_a_rerun_after_freeing_space_finishes(
    tmp_path: Path, reference: Tuple[Dict[str, bytes], ...]
) -> None:
    require_root()
    unshare = require_tool("unshare", package="util-linux")
    old, new = reference
    source = make_root(tmp_path / "source", EXTRA)
    mountpoint, out = tmp_path / "root", tmp_path / "out"
    mountpoint.mkdir()
    out.mkdir()
    env = dict(
        os.environ,
        ROOT=str(mountpoint),
        SOURCE=str(source),
        CONF=str(_conf(tmp_path)),
        OUT=str(out),
        PYTHON=sys.executable,
    )
    env.pop("INVOCATION_ID", None)
    env.pop("JOURNAL_STREAM", None)
    # A private mount namespace: the tmpfs vanishes with the shell, never seen by the host.
    subprocess.run(
        [unshare, "-m", "--propagation", "private", "sh", "-c", DISK_FULL],
        env=env,
        cwd=REPO,
        check=True,
        timeout=120,
    )
    full_err = (out / "full.err").read_text()
    assert int((out / "full.rc").read_text()) == ExitCode.APPLY_FAILED, full_err
    assert "No space left on device" in full_err
    assert full_err.count("failed: write") >= 3, full_err
    full = _untar(out / "full.tar")
    assert _without_backups(full) == old, "a full disk changed or lost a file"
    assert _temporaries(full) == []

    freed_err = (out / "freed.err").read_text()
    assert int((out / "freed.rc").read_text()) == 0, freed_err
    freed = _untar(out / "freed.tar")
    _assert_whole(freed, old, new)
    for rel, data in _without_backups(freed).items():
        assert data == new[rel] or (rel == "etc/shadow" and _shadow_is_new(data, new[rel])), rel


@pytest.mark.parametrize("path", ["etc/hosts", "etc/resolv.conf"])
def test_a_directory_where_a_file_belongs_fails_that_part_alone(path: str, tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    (root / path).unlink()
    (root / path).mkdir()
    result = _apply(root, _conf(tmp_path))
    assert result.returncode == ExitCode.APPLY_FAILED, result.stderr
    assert f"(cannot plan: is a directory, not a regular file: /{path}): skipped" in result.stderr
    assert "internal error" not in result.stderr
    assert (root / "etc/hostname").read_text() == "iZ23r29djmjZ\n"
    shadow = (root / "etc/shadow").read_text()
    assert verify(PASSWORD, shadow.split("\n")[0].split(":")[1])
    assert (root / path).is_dir()
