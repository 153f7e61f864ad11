"""`osconf install`/`uninstall`: put osconf's boot hooks into an image tree.

systemd images get `osconf.service` (boot), enabled by the same symlink
`systemctl enable` makes, and with `--watch` also `osconf-watch.service`
(settings changed while running). Images without systemd get the SysV
script, registered with the image's own tool -- `update-rc.d` (Debian,
which orders it by its LSB header through insserv), `insserv`, `chkconfig`
-- run inside the image (chroot) when it is not the running system; plain
rc.d links only where the image has none of them. The first partition's
UUID is recorded in /etc/osconf.conf when osconf can tell which it is, and
`aliyun_custom_image/` is created on it.
"""

import logging
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional, Set, Tuple

from osconf.errors import ApplyError, LocateError

if TYPE_CHECKING:
    from osconf.system import System

log = logging.getLogger(__name__)

BOOT_UNIT = "osconf.service"
WATCH_UNIT = "osconf-watch.service"
UNITS = (BOOT_UNIT, WATCH_UNIT)
UNIT_DIR = "/etc/systemd/system"
WANTS = "/etc/systemd/system/multi-user.target.wants"
INITSCRIPT = "/etc/init.d/osconf"
RUNLEVELS = ("2", "3", "4", "5")
# Only for images without a registration tool: before CentOS 6's S10network.
RC_LINK = "S09osconf"
# The registration tools, in order of preference, with how each adds and
# removes the script. update-rc.d (Debian) drives insserv, which orders by
# the LSB header; chkconfig reads the header's `chkconfig:` line.
SYSV_TOOLS = (
    (
        ("/usr/sbin/update-rc.d", "/sbin/update-rc.d"),
        ("osconf", "defaults"),
        ("-f", "osconf", "remove"),
    ),
    (("/sbin/insserv", "/usr/sbin/insserv"), ("osconf",), ("-r", "osconf")),
    (("/sbin/chkconfig", "/usr/sbin/chkconfig"), ("--add", "osconf"), ("--del", "osconf")),
)
# Debian and its derivatives bring the network up in rcS (`networking` has
# Default-Start: S): osconf must start there too to come before it.
RCS_DIR = "/etc/rcS.d"
CONFIG_FILE = "/etc/osconf.conf"
# Where the .deb (/lib) and the .rpm (/usr/lib) put the units.
PACKAGED_UNIT_DIRS = ("/lib/systemd/system", "/usr/lib/systemd/system")
DPKG_LIST = "/var/lib/dpkg/info/osconf.list"
EXECUTABLES = ("/usr/bin/osconf", "/usr/local/bin/osconf", "/usr/sbin/osconf", "/bin/osconf")
# What the shipped unit and SysV script run the boot with (Debian's python3),
# and RHEL 8's interpreter for system tools (often no /usr/bin/python3 there).
DEFAULT_PYTHON = "/usr/bin/python3"
PLATFORM_PYTHON = "/usr/libexec/platform-python"
_PLAIN_PATH = re.compile(r"/[A-Za-z0-9._+/-]+\Z")


def asset_dir(kind: str) -> Path:
    """Where the shipped `units/` or `initscripts/` files are.

    An installed copy (wheel, .deb, .rpm) carries them inside the package as
    `osconf/_assets/KIND` (setup.py copies them there); a checkout, or an
    editable install of one, has them beside the package. The checkout is
    recognised by its setup.py, so that an unrelated `units/` directory next
    to an installed package is never taken for osconf's.
    """
    package = Path(__file__).resolve().parent
    candidates = [package / "_assets" / kind]
    if (package.parent / "setup.py").is_file():
        candidates.append(package.parent / kind)
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise LocateError(f"osconf's {kind} files are not installed (looked in {looked})")


def has_systemd(system: "System") -> bool:
    return any(
        system.exists(p)
        for p in ("/usr/lib/systemd/systemd", "/lib/systemd/systemd", "/bin/systemctl")
    )


def executable(system: "System", python: str = DEFAULT_PYTHON) -> List[str]:
    """The command that runs osconf inside the target: the `osconf` script
    beside `python` (a venv's bin/), else a usual place, else `python -m`."""
    beside = os.path.join(os.path.dirname(python), "osconf")
    for path in (beside, *EXECUTABLES):
        if system.is_file(path):
            return [path]
    return [python, "-m", "osconf"]


def interpreter(system: "System") -> str:
    """The Python the boot hooks run osconf with, inside the target.

    On the running system (a `chroot IMAGE osconf install` too) it is the
    one running this install, `sys.executable` unresolved, so that a venv's
    bin/python3 stays the venv's: it imports osconf, by definition. With
    `--root IMAGE` nothing of the image can be run: the interpreter named by
    the `#!` line of the image's osconf script (which pip, the .deb or the
    .rpm wrote for the interpreter they installed osconf for), else the
    image's /usr/bin/python3, else RHEL 8's /usr/libexec/platform-python,
    else /usr/bin/python3. A path goes into a unit and a shell script, so
    only plain absolute paths are taken.
    """
    if system.is_live:
        if not sys.executable or not _PLAIN_PATH.match(sys.executable):
            raise ApplyError([f"cannot write the interpreter path {sys.executable!r} into a unit"])
        return sys.executable
    for script in EXECUTABLES:
        python = _shebang(system, script)
        if python is not None:
            return python
    for python in (DEFAULT_PYTHON, PLATFORM_PYTHON):
        if system.is_file(python):
            return python
    return DEFAULT_PYTHON


def _shebang(system: "System", script: str) -> Optional[str]:
    """The interpreter in `script`'s `#!` line, if it is a plain path to a
    file in the target; None otherwise (a `#!/bin/sh` wrapper included)."""
    try:
        head = system.read_bytes(script)
    except OSError:
        return None
    if not head or not head.startswith(b"#!"):
        return None
    words = head[2:].split(b"\n", 1)[0].decode("utf-8", "replace").split()
    if not words or not _PLAIN_PATH.match(words[0]) or "python" not in words[0].rsplit("/")[-1]:
        return None
    return words[0] if system.is_file(words[0]) else None


def _with_command(
    text: str, command: List[str], runlevels: Optional[str] = None, python: str = DEFAULT_PYTHON
) -> str:
    out = []
    for line in text.splitlines():
        if line.startswith(f"ExecStart={DEFAULT_PYTHON} "):
            line = f"ExecStart={python}" + line[len(f"ExecStart={DEFAULT_PYTHON}") :]
        elif line.startswith(f"PYTHON={DEFAULT_PYTHON}"):
            line = f"PYTHON={python}"
        elif line.startswith("ExecStart=/usr/bin/osconf "):
            line = "ExecStart=" + " ".join(command) + line[len("ExecStart=/usr/bin/osconf") :]
        elif line.startswith("OSCONF=/usr/bin/osconf"):
            line = "OSCONF=" + " ".join(command)
        elif runlevels is not None and line.startswith("# Default-Start:"):
            line = "# Default-Start:     " + runlevels
        out.append(line)
    return "\n".join(out) + "\n"


def _rc_dirs(system: "System") -> List[str]:
    if system.listdir("/etc/rc.d"):
        return [f"/etc/rc.d/rc{level}.d" for level in RUNLEVELS]
    return [f"/etc/rc{level}.d" for level in RUNLEVELS]


def _symlink(system: "System", link: str, target: str) -> None:
    if system.symlink(link, target):
        log.info("linked %s -> %s", link, target)


def _sysv_tool(system: "System") -> Optional[Tuple[str, Tuple[str, ...], Tuple[str, ...]]]:
    for paths, add, remove in SYSV_TOOLS:
        for path in paths:
            if system.is_file(path):
                return path, add, remove
    return None


def _run_in_image(system: "System", argv: List[str]) -> None:
    """Runs the image's own program: directly on the running system, else in
    a chroot of the image (same architecture: an image being built)."""
    if not system.is_live:
        argv = ["chroot", str(system.root)] + argv
    try:
        result = system.run(argv, check=False, timeout=120)
    except OSError as err:
        raise ApplyError([f"{' '.join(argv)}: {err}"]) from None
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip()
        raise ApplyError([f"{' '.join(argv)} exited {result.returncode}: {detail}"])


def _install_sysv(system: "System", command: List[str], python: str, packaged: bool = False) -> str:
    rcs = system.exists(RCS_DIR) and not system.is_file(RCS_DIR)
    if not packaged:  # the package's own script (a conffile) is left as it is
        text = (asset_dir("initscripts") / "osconf").read_text()
        text = _with_command(text, command, "S" if rcs else None, python)
        system.write_file(INITSCRIPT, text, 0o755)
    tool = _sysv_tool(system)
    if tool is None:
        for rc in _rc_dirs(system):
            _symlink(system, f"{rc}/{RC_LINK}", "../init.d/osconf")
        return f"installed {INITSCRIPT} with {RC_LINK} links in runlevels 2-5 (no rc tool)"
    path, add, _ = tool
    _run_in_image(system, [path, *add])
    where = "rcS" if rcs else "its runlevels"
    return f"installed {INITSCRIPT}, registered with {path} ({where}, before the network and sshd)"


def packaged_unit(system: "System", unit: str) -> Optional[str]:
    """Where the .deb/.rpm put `unit` in the image, None when it did not.
    Only packages install there; `install` never writes those directories."""
    for folder in PACKAGED_UNIT_DIRS:
        if system.is_file(f"{folder}/{unit}"):
            return f"{folder}/{unit}"
    return None


def packaged_files(system: "System") -> "Set[str]":
    """The files the image's dpkg lists for the osconf package (none for a
    wheel; rpm's database is not read: its units are found by their
    directory, `packaged_unit`, and `uninstall` keeps /etc/osconf.conf
    when they are there)."""
    try:
        text = system.read_text(DPKG_LIST) or ""
    except (OSError, ValueError) as err:
        log.warning("cannot read %s: %s", DPKG_LIST, err)
        text = ""
    return {line for line in text.splitlines() if line.startswith("/")}


def install(system: "System", partition: Optional[str], watch: bool = False) -> List[str]:
    """Installs and enables the boot hooks; returns what it did, line by line.

    The watcher is installed only when asked (`watch`); installing without
    it removes one a previous install enabled. A unit the package already
    put into the image is only enabled: a copy in /etc/systemd/system would
    shadow the package's own, upgrades included (one an earlier `install`
    left there is removed, with a backup); likewise a packaged SysV script
    is only registered.
    """
    done: List[str] = []
    python = interpreter(system)
    command = executable(system, python)
    if has_systemd(system):
        source = asset_dir("units")
        for unit in UNITS:
            own = f"{UNIT_DIR}/{unit}"
            if unit == WATCH_UNIT and not watch:
                for path in (f"{WANTS}/{unit}", own):
                    if system.remove_file(path):
                        done.append(f"removed {path} (no --watch)")
                continue
            packaged = packaged_unit(system, unit)
            if packaged is not None:
                if system.remove_file(own):
                    done.append(f"removed {own}: it shadowed the packaged {packaged}")
                _symlink(system, f"{WANTS}/{unit}", packaged)
                done.append(f"enabled {packaged} (from the package; multi-user.target)")
                continue
            text = _with_command((source / unit).read_text(), command, python=python)
            system.write_file(own, text, 0o644)
            _symlink(system, f"{WANTS}/{unit}", own)
            done.append(f"enabled {own} (multi-user.target)")
    else:
        packaged_script = INITSCRIPT in packaged_files(system)
        done.append(_install_sysv(system, command, python, packaged_script))
        if watch:
            done.append("not installed: the watcher (it needs systemd)")
    current = system.read_text(CONFIG_FILE)
    text = current if current is not None else (asset_dir("conf") / "osconf.conf").read_text()
    if partition:
        text = with_partition(text, partition)
    if system.write_file(CONFIG_FILE, text, 0o644 if current is None else None):
        done.append(f"wrote {CONFIG_FILE}" + (f" with partition={partition}" if partition else ""))
    done.append("runs as: " + " ".join(command))
    if packaged_unit(system, BOOT_UNIT) is None and INITSCRIPT not in packaged_files(system):
        done.append(f"boots with: {python} -I (the osconf.service entry point)")
    else:
        done.append("boots with: the interpreter the package's own boot hook names")
    return done


def with_partition(text: str, partition: str) -> str:
    """`text` of /etc/osconf.conf with `partition=` set: the key's line
    replaced (or its commented-out example, or appended); every other
    line, the administrator's values among them, kept as it is."""
    lines = text.splitlines()
    line = f"partition={partition}"
    for wanted in ("partition=", "#partition="):
        for index, old in enumerate(lines):
            if old.strip().startswith(wanted):
                lines[index] = line
                return "\n".join(lines) + "\n"
    return "\n".join([*lines, line]) + "\n"


def uninstall(system: "System") -> List[str]:
    """Removes what `install` added: the enabling links and osconf's own
    copies; the files of an installed package (its units, SysV script and
    /etc/osconf.conf) stay -- the package manager removes those."""
    done: List[str] = []
    for unit in UNITS:
        for path in (f"{WANTS}/{unit}", f"{UNIT_DIR}/{unit}"):
            if system.remove_file(path):
                done.append(f"removed {path}")
    packaged = packaged_files(system)
    if packaged_unit(system, BOOT_UNIT) is not None:
        # Both packages ship /etc/osconf.conf beside their units (the .rpm
        # as %config(noreplace)); rpm's database is not read, so its units
        # stand for it: the package manager removes the file, not this.
        packaged.add(CONFIG_FILE)
    tool = _sysv_tool(system) if system.is_file(INITSCRIPT) else None
    if tool is not None:
        path, _, remove = tool
        _run_in_image(system, [path, *remove])
        done.append(f"unregistered {INITSCRIPT} with {path}")
    for rc in _rc_dirs(system):
        if system.remove_file(f"{rc}/{RC_LINK}"):
            done.append(f"removed {rc}/{RC_LINK}")
    for path in (INITSCRIPT, CONFIG_FILE):
        if path in packaged:
            done.append(f"kept {path} (the osconf package's)")
        elif system.remove_file(path):
            done.append(f"removed {path}")
    return done


def prepare_partition(system: "System") -> Optional[str]:
    """Finds the image's first partition, creates `aliyun_custom_image/` on it
    and returns `UUID=...` to record; None when it cannot be told (an image
    tree that is a plain directory rather than a mounted disk)."""
    from osconf.locate import CONF_DIR, Host, block_devices, find, reachable

    host = Host()
    if system.is_live and not os.path.exists(os.path.join(host.proc, "self/mountinfo")):
        # `chroot IMAGE osconf install` in an image build: no /proc, no disk
        # to tell. Nothing is wrong; the search happens at the image's boot.
        log.info("/proc is not mounted (an image build): the partition is searched at boot")
        return None
    try:
        if system.is_live:
            found = find(None, host)
        else:
            st = os.stat(system.root)
            if st.st_dev == os.stat("/").st_dev:
                log.info("%s is not a mounted disk: the partition is searched at boot", system.root)
                return None
            devno = f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}"
            holder = next((d for d in block_devices(host) if d.devno == devno), None)
            if holder is None or holder.disk is None:
                log.info(
                    "cannot tell the disk of %s: the partition is searched at boot", system.root
                )
                return None
            disk = holder.disk
            first = next((d for d in block_devices(host) if d.disk == disk and d.number == 1), None)
            if first is None:
                return None
            found = find(f"/dev/{first.name}", host)
        if found.fs is None or found.fs.uuid is None:
            return None
        with reachable(found, host, system) as (top, _how):
            os.makedirs(os.path.join(top, CONF_DIR), mode=0o755, exist_ok=True)
        return f"UUID={found.fs.uuid}"
    except LocateError as err:
        log.warning("first partition not found (%s): it is searched at boot", err)
        return None
