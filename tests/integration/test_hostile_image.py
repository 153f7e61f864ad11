"""The hostile-image matrix: no byte outside the root is read, written or removed.

Every path osconf touches in an image (the files it edits, the directories
they are in, its backup area and records, the network stacks' directories,
the boot hooks of `install`) is replaced in turn by an absolute link, a
link climbing out with `../..`, a dangling link, a looping link -- each
pointing at a file, a directory or a FIFO of a sentinel tree outside the
root -- or by a directory or FIFO in place. Then `osconf apply --root`,
`install --root` and `uninstall --root` run under strace. Proved for each:

* the sentinel tree is unchanged: every entry's type, mode, size, mtime and
  bytes, and no entry added or removed (the backup pruning included);
* no file descriptor osconf ever held refers to anything in the sentinel tree
  (strace -y prints the path behind each descriptor), so nothing there was
  read either, and no sentinel byte turns up anywhere in the root;
* the run ends within its timeout (a FIFO never blocks it) with a code from
  the README's table and no traceback.
"""

import contextlib
import io
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from tests.conftest import REPO, SAMPLES, make_root
from tests.helpers.tools import require_tool

pytestmark = pytest.mark.integration

DOCUMENTED = {0, 3, 4, 5, 6, 7}
MARK = b"SENTINEL-outside-the-root"
# A name osconf's backup pruning would take for its own: a linked backup
# folder must not lose it.
STAMPS = [f"2020010{i}T000000.000000000" for i in range(1, 8)]

# (path in the image, the stack that makes osconf touch it)
PATHS: List[Tuple[str, str]] = [
    ("/etc", "ifupdown"),
    ("/etc/hostname", "ifupdown"),
    ("/etc/hosts", "ifupdown"),
    ("/etc/shadow", "ifupdown"),
    ("/etc/resolv.conf", "ifupdown"),
    ("/etc/sysconfig", "ifcfg"),
    ("/etc/sysconfig/network", "ifcfg"),
    ("/etc/osconf.conf", "ifupdown"),
    ("/var", "ifupdown"),
    ("/var/lib/osconf", "ifupdown"),
    ("/var/lib/osconf/backup", "ifupdown"),
    ("/var/lib/osconf/backup/etc", "ifupdown"),
    ("/var/lib/osconf/backup/etc/hosts", "ifupdown"),
    ("/etc/network", "ifupdown"),
    ("/etc/network/interfaces", "ifupdown"),
    ("/etc/network/interfaces.d", "ifupdown"),
    ("/etc/network/interfaces.d/osconf", "ifupdown"),
    ("/etc/netplan", "netplan"),
    ("/etc/netplan/0-osconf.yaml", "netplan"),
    ("/etc/netplan/90-osconf.yaml", "netplan"),
    ("/etc/netplan/50-cloud-init.yaml", "netplan"),
    ("/etc/cloud/cloud.cfg.d", "netplan"),
    ("/etc/systemd/network", "networkd"),
    ("/etc/systemd/network/10-osconf-eth0.network", "networkd"),
    ("/etc/systemd/network/05-dhcp.network", "networkd"),
    ("/etc/NetworkManager/system-connections", "networkmanager"),
    ("/etc/NetworkManager/system-connections/osconf-eth0.nmconnection", "networkmanager"),
    ("/etc/NetworkManager/system-connections/Wired.nmconnection", "networkmanager"),
    ("/etc/sysconfig/network-scripts", "ifcfg"),
    ("/etc/sysconfig/network-scripts/ifcfg-eth0", "ifcfg"),
    ("/etc/sysconfig/network-scripts/route-eth0", "ifcfg"),
    ("/etc/sysconfig/network/config", "suse"),
    ("/etc/sysconfig/network/ifcfg-eth0", "suse"),
    ("/etc/systemd/system", "install"),
    ("/etc/systemd/system/multi-user.target.wants", "install"),
    ("/etc/systemd/system/osconf.service", "install"),
    ("/etc/init.d", "install-sysv"),
    ("/etc/rc2.d", "install-sysv"),
    ("/etc/rc2.d/S09osconf", "install-sysv"),
]

# How a path is replaced: (name, link target or in-place kind).
KINDS = [
    "absolute-file",
    "absolute-dir",
    "absolute-fifo",
    "relative-file",
    "relative-dir",
    "relative-fifo",
    "dangling",
    "dangling-relative",
    "loop",
    "dir-in-place",
    "fifo-in-place",
]


# Every kind runs in-process (fast); this one also as a real process under strace.
STRACED = "absolute-dir"


def _sentinel(outside: Path) -> None:
    outside.mkdir()
    (outside / "file").write_bytes(MARK + b" file\n")
    os.mkfifo(outside / "fifo")
    folder = outside / "dir"
    folder.mkdir()
    for name in ["hosts", "shadow", "hostname", "osconf", "interfaces", *STAMPS]:
        (folder / name).write_bytes(MARK + b" " + name.encode() + b"\n")
    (folder / "sub").mkdir()
    (folder / "sub/keep").write_bytes(MARK + b" keep\n")


def _snapshot(top: Path) -> Dict[str, Tuple[int, int, int, int, bytes]]:
    out = {}
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            data = Path(path).read_bytes() if os.path.isfile(path) else b""
            out[path] = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ino, data)
    st = os.lstat(top)
    out[str(top)] = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ino, b"")
    return out


def _plant(root: Path, path: str, kind: str, outside: Path) -> None:
    host = root / path.lstrip("/")
    host.parent.mkdir(parents=True, exist_ok=True)
    if host.is_dir() and not host.is_symlink():
        import shutil

        shutil.rmtree(host)
    elif host.exists() or host.is_symlink():
        host.unlink()
    depth = "/".join([".."] * (len(host.relative_to(root.parent).parts) + 2))
    climb = f"{depth}{outside}"
    targets = {
        "absolute-file": f"{outside}/file",
        "absolute-dir": f"{outside}/dir",
        "absolute-fifo": f"{outside}/fifo",
        "relative-file": f"{climb}/file",
        "relative-dir": f"{climb}/dir",
        "relative-fifo": f"{climb}/fifo",
        "dangling": f"{outside}/missing",
        "dangling-relative": f"{climb}/missing/deeper",
        "loop": host.name,
    }
    if kind in targets:
        os.symlink(targets[kind], host)
    elif kind == "dir-in-place":
        host.mkdir()
    else:
        os.mkfifo(host)


def _commands(root: Path, stack: str) -> List[List[str]]:
    if stack == "install":
        return [["install", "--root", str(root)], ["uninstall", "--root", str(root)]]
    if stack == "install-sysv":
        return [["install", "--root", str(root)], ["uninstall", "--root", str(root)]]
    return [
        [
            "apply",
            "--root",
            str(root),
            "--conf",
            str(SAMPLES / "classic.conf"),
            "--no-live",
            "--network-stack",
            stack,
        ],  # fmt: skip
        [
            "plan",
            "--root",
            str(root),
            "--conf",
            str(SAMPLES / "vpc.conf"),
            "--no-live",
            "--network-stack",
            stack,
        ],  # fmt: skip
        ["status", "--root", str(root)],
    ]


def _run_in_process(argv: List[str]) -> None:
    """cli.main in this process (fast), with an alarm against blocking."""
    from osconf import cli

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"osconf {argv[0]} blocked")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(30)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            code = cli.main(argv)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert code in DOCUMENTED, argv


def _run_traced(argv: List[str], tmp_path: Path, outside: Path) -> None:
    """The real command under strace: no descriptor ever refers to the
    sentinel tree (-y prints the path behind each one)."""
    require_tool("strace")
    trace = tmp_path / "trace"
    env = dict(os.environ, OSCONF_RUN_DIR=str(tmp_path / "run"))
    env.pop("INVOCATION_ID", None)
    env.pop("JOURNAL_STREAM", None)
    result = subprocess.run(
        [
            "strace",
            "-f",
            "-qq",
            "-y",
            "-o",
            str(trace),
            "-e",
            "trace=%file,%desc",
            sys.executable,
            "-m",
            "osconf",
            *argv,
        ],  # fmt: skip
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )
    assert result.returncode in DOCUMENTED, (argv, result.stderr)
    assert "Traceback" not in result.stderr, (argv, result.stderr)
    touched = [line for line in trace.read_text().splitlines() if f"<{outside}" in line]
    assert not touched, (argv, touched[:5])


def _image(base: Path, stack: str) -> Path:
    root = make_root(base)
    extra = {
        "netplan": {
            "etc/netplan/50-cloud-init.yaml": "network:\n  version: 2\n  ethernets:\n"
            "    eth0:\n      dhcp4: true\n"
        },
        "networkd": {"etc/systemd/network/05-dhcp.network": "[Match]\nName=eth0\n[Network]\n"},
        "networkmanager": {
            "etc/NetworkManager/system-connections/Wired.nmconnection": "[connection]\n"
            "id=Wired\ntype=ethernet\ninterface-name=eth0\n"
        },
        "ifcfg": {"etc/sysconfig/network": "NETWORKING=yes\nHOSTNAME=old\n"},
        "suse": {"etc/sysconfig/network/config": 'NETCONFIG_DNS_STATIC_SERVERS=""\n'},
        "install": {"usr/lib/systemd/systemd": ""},
        "install-sysv": {"etc/init.d/rc": ""},
    }.get(stack, {})
    for rel, text in extra.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (root / "etc/osconf.conf").write_text("# nothing\n")
    (root / "var/lib/osconf/backup/etc/hosts").mkdir(parents=True)
    return root


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("path,stack", PATHS, ids=[p for p, _ in PATHS])
def test_nothing_outside_the_root_is_touched(
    tmp_path: Path, path: str, stack: str, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OSCONF_RUN_DIR", str(tmp_path / "run"))  # the lock is the test's own
    outside = tmp_path / "outside"
    _sentinel(outside)
    root = _image(tmp_path / "root", stack)
    _plant(root, path, kind, outside)
    before = _snapshot(outside)
    for argv in _commands(root, stack):
        if kind == STRACED:
            _run_traced(argv, tmp_path, outside)
        else:
            _run_in_process(argv)
    assert _snapshot(outside) == before
    for folder, _dirs, files in os.walk(root):
        for name in files:
            file = Path(folder, name)
            if file.is_file() and not file.is_symlink():
                assert MARK not in file.read_bytes(), file
