"""SSH host keys per instance: created when missing, replaced once per new instance.

The ECS manual forbids default key pairs in an image, and Debian's sshd
does not create missing keys at boot (RHEL's `sshd-keygen` does): a
correctly prepared image would have no SSH at all, an image that keeps its
keys shares them with every instance made from it. At boot, before sshd,
osconf therefore

* creates every missing host key sshd is configured to use (`HostKey`
  lines of sshd_config and the files it includes; else rsa, ecdsa and
  ed25519, as `ssh-keygen -A`), with the image's own `ssh-keygen`;
* replaces all of them once when the instance is new: the os.conf carries
  a MAC set different from the one the keys were made for, or osconf never
  recorded a run (the image's first boot). A settings change of the same
  instance (same MACs) keeps them.

The MAC set the keys belong to is kept in `RECORD` (no secrets). The
fingerprints go to the console and the log (the journal under systemd),
framed as cloud-init frames them. Nothing is generated offline (`--root`):
keys baked into an image are what the manual forbids.
"""

import os
import stat

# On every boot's path: only `os` and `stat` at load time (like
# osconf.lifecycle); json, logging and subprocess when they are needed.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterable, List, Optional, Sequence, Tuple

    from osconf.model import OsConf
    from osconf.system import System
    from osconf.view import View


def _log(level: str, message: str, *args: object) -> None:
    import logging

    getattr(logging.getLogger(__name__), level)(message, *args)


SSH_DIR = "/etc/ssh"
SSHD_CONFIG = "/etc/ssh/sshd_config"
DEFAULT_TYPES = ("rsa", "ecdsa", "ed25519")
TYPES = ("rsa", "ecdsa", "ed25519", "dsa")
KEYGENS = ("/usr/bin/ssh-keygen", "/bin/ssh-keygen", "/usr/local/bin/ssh-keygen")
RECORD = "/var/lib/osconf/ssh-host-keys.json"
CONSOLE = "/dev/console"
BEGIN = "-----BEGIN SSH HOST KEY FINGERPRINTS-----"
END = "-----END SSH HOST KEY FINGERPRINTS-----"
_SEPARATORS = "_.-"
_MAX_INCLUDES = 16
_TIMEOUT = 120.0


class HostKey:
    """One key sshd loads: its private key path inside the target and its type."""

    def __init__(self, path: str, kind: str) -> None:
        self.path = path
        self.kind = kind

    def __repr__(self) -> str:
        return f"HostKey({self.path!r}, {self.kind!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HostKey) and (self.path, self.kind) == (other.path, other.kind)

    def __hash__(self) -> int:
        return hash((self.path, self.kind))


def key_type(path: str) -> "Optional[str]":
    """The key type a file name says (`ssh_host_ed25519_key` -> ed25519)."""
    name = os.path.basename(path)
    for sep in _SEPARATORS[1:]:
        name = name.replace(sep, "_")
    words = name.split("_")
    return next((w for w in words if w in TYPES), None)


def config_lines(view: "View", path: str = SSHD_CONFIG, depth: int = 0) -> "List[Tuple[str, str]]":
    """(keyword, value) pairs of sshd_config in order, `Include`s expanded
    inside the root; stops at the first `Match` (HostKey is global only)."""
    text = view.read_text(path) if view.is_file(path) else None
    if text is None:
        return []
    pairs: List[Tuple[str, str]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        # `Keyword value` or `Keyword=value` (sshd_config(5)).
        cut = next((i for i, c in enumerate(line) if c.isspace() or c == "="), len(line))
        keyword = line[:cut].lower()
        value = line[cut:].lstrip(" \t=").strip().strip('"')
        if keyword == "match":
            break
        if keyword == "include" and depth < _MAX_INCLUDES:
            for pattern in value.split():
                for included in _glob(view, pattern):
                    pairs.extend(config_lines(view, included, depth + 1))
            continue
        pairs.append((keyword, value))
    return pairs


def _glob(view: "View", pattern: str) -> "List[str]":
    import fnmatch

    if not pattern.startswith("/"):
        pattern = SSH_DIR + "/" + pattern
    folder, _, name = pattern.rpartition("/")
    if not any(c in name for c in "*?["):
        return [pattern]
    return [folder + "/" + n for n in view.listdir(folder) if fnmatch.fnmatch(n, name)]


def host_keys(view: "View") -> "List[HostKey]":
    """The host keys sshd of the target uses, from its configuration."""
    keys: List[HostKey] = []
    for keyword, value in config_lines(view):
        if keyword != "hostkey" or not value:
            continue
        path = value if value.startswith("/") else SSH_DIR + "/" + value
        kind = key_type(path)
        if kind is None:
            _log("warning", "HostKey %s: cannot tell its type from the name, left alone", path)
            continue
        if HostKey(path, kind) not in keys:
            keys.append(HostKey(path, kind))
    if keys:
        return keys
    return [HostKey(f"{SSH_DIR}/ssh_host_{kind}_key", kind) for kind in DEFAULT_TYPES]


def present(view: "View") -> "List[str]":
    """Private host key files found in the image's /etc/ssh (what check-image flags)."""
    names = [n for n in view.listdir(SSH_DIR) if n.startswith("ssh_host_") and n.endswith("_key")]
    configured = [k.path for k in host_keys(view) if view.exists(k.path)]
    return sorted(set([f"{SSH_DIR}/{n}" for n in names] + configured))


def _macs(conf: "Optional[OsConf]") -> "Optional[List[str]]":
    if conf is None:
        return None
    return sorted(set(nic.mac.lower() for nic in conf.nics if nic.mac))


def _recorded(view: "View") -> "Tuple[bool, Optional[List[str]]]":
    """(a record exists, the MAC set in it: None when made without os.conf)."""
    text = view.read_text(RECORD) if view.is_file(RECORD) else None
    if text is None:
        return False, None
    try:
        import json

        macs = json.loads(text).get("macs")
    except (ValueError, AttributeError):
        return False, None  # a damaged record: as if none
    if isinstance(macs, list) and all(isinstance(m, str) for m in macs):
        return True, sorted(macs)
    return True, None


def is_new_instance(
    view: "View", macs: "Optional[List[str]]", ever_ran: bool
) -> "Tuple[bool, str]":
    """Whether the keys must be replaced, and why (or why not)."""
    exists, recorded = _recorded(view)
    if not exists:
        if not ever_ran:
            return True, "first boot of this image"
        return False, "no record of the keys' instance yet"
    if macs is None or recorded is None:
        return False, "same instance (no MAC set to compare)"
    if macs != recorded:
        now, then = ",".join(macs) or "none", ",".join(recorded) or "none"
        return True, f"new instance: MACs {now}, keys made for {then}"
    return False, "same instance"


def keygen(view: "View") -> "Optional[str]":
    """The image's ssh-keygen (a target path), None when it has none."""
    for path in KEYGENS:
        if view.is_file(path):
            return path
    return None


def _run(argv: "Sequence[str]") -> "Tuple[int, str]":
    import subprocess

    try:
        done = subprocess.run(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=_TIMEOUT,
        )
    except (OSError, subprocess.SubprocessError) as err:
        return 1, str(err)
    return done.returncode, done.stdout.decode("utf-8", "replace").strip()


def _generate(system: "System", program: str, key: HostKey) -> bool:
    """Makes `key` with `program` (a host path) beside the old one, then
    renames the pair over it: sshd never sees half a key."""
    host = system.host_path(system.resolve(key.path))
    host.parent.mkdir(parents=True, exist_ok=True)
    fresh = str(host) + ".osconf-new"
    for leftover in (fresh, fresh + ".pub"):
        if os.path.lexists(leftover):
            os.unlink(leftover)
    code, out = _run([program, "-q", "-t", key.kind, "-N", "", "-f", fresh])
    if code != 0 or not os.path.isfile(fresh) or not os.path.isfile(fresh + ".pub"):
        _log("error", "ssh-keygen -t %s for %s failed: %s", key.kind, key.path, out or code)
        return False
    try:
        old = os.lstat(str(host))
    except FileNotFoundError:
        old = None
    if old is not None and stat.S_ISREG(old.st_mode):
        # RHEL keeps private keys 0640 root:ssh_keys: keep what the image had.
        os.chown(fresh, old.st_uid, old.st_gid)
        os.chmod(fresh, stat.S_IMODE(old.st_mode))
    os.rename(fresh + ".pub", str(host) + ".pub")
    os.rename(fresh, str(host))
    fd = os.open(str(host.parent), os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return True


def fingerprints(system: "System", program: str, keys: "Iterable[HostKey]") -> "List[str]":
    """`ssh-keygen -l` lines of the keys' public halves."""
    lines = []
    for key in keys:
        pub = str(system.host_path(system.resolve(key.path))) + ".pub"
        if os.path.isfile(pub):
            code, out = _run([program, "-l", "-f", pub])
            if code == 0 and out:
                lines.append(out.splitlines()[0])
    return lines


def _announce(lines: "List[str]", console: "Optional[str]") -> None:
    block = [BEGIN] + lines + [END]
    for line in block:
        _log("info", "%s", line)
    if console and os.path.exists(console):
        try:
            fd = os.open(console, os.O_WRONLY | os.O_APPEND | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError:
            return
        try:
            os.write(fd, ("\n".join(block) + "\n").encode("utf-8", "replace"))
        except OSError:
            pass
        finally:
            os.close(fd)


def ensure(
    system: "System",
    conf: "Optional[OsConf]",
    ever_ran: bool,
    program: "Optional[str]" = None,
    console: "Optional[str]" = CONSOLE,
) -> "List[str]":
    """Creates missing host keys and replaces them for a new instance.

    `conf` is this boot's valid os.conf (None when there was none);
    `ever_ran` whether osconf recorded any run before this one; `program`
    the ssh-keygen to run (a host path; default: the image's). Returns the
    key paths written.
    """
    keys = host_keys(system)
    if program is None:
        found = keygen(system)
        if found is None:
            if not any(system.exists(k.path) for k in keys):
                _log("warning", "no ssh-keygen in the image: SSH host keys cannot be made")
            return []
        program = str(system.host_path(system.resolve(found)))
    macs = _macs(conf)
    new, why = is_new_instance(system, macs, ever_ran)
    written = []
    for key in keys:
        missing = not system.is_file(key.path) or not system.is_file(key.path + ".pub")
        if (new or missing) and _generate(system, program, key):
            _log(
                "info",
                "SSH host key %s %s (%s)",
                key.path,
                "created" if missing else "replaced",
                why,
            )
            written.append(key.path)
    exists, recorded = _recorded(system)
    if new or not exists or (recorded is None and macs is not None):
        import json

        text = json.dumps({"version": 1, "macs": macs}) + "\n"
        system.write_file(RECORD, text, 0o600, backup=False)
    if written:
        _announce(fingerprints(system, program, keys), console)
    return written


class _HostFiles:
    """The running system's files under `root`, as `host_keys` reads them."""

    def __init__(self, root: str) -> None:
        self.root = root

    def _path(self, path: str) -> str:
        return os.path.join(self.root, path.lstrip("/"))

    def exists(self, path: str) -> bool:
        return os.path.exists(self._path(path))

    def is_file(self, path: str) -> bool:
        return os.path.isfile(self._path(path))

    def listdir(self, path: str) -> "List[str]":
        try:
            return sorted(os.listdir(self._path(path)))
        except OSError:
            return []

    def read_text(self, path: str) -> "Optional[str]":
        """None when absent; a FIFO, device or directory there, or more
        than 1 MiB, raises OSError: the boot hands over to the full run,
        which reads through `System` and warns."""
        from osconf.fileio import read_host_file

        data = read_host_file(self._path(path), 1 << 20)
        return None if data is None else data.decode("utf-8", "surrogateescape")


def pending(root: str = "/") -> bool:
    """Whether the boot has key work to do: a configured host key is missing,
    or osconf has not yet recorded the keys' instance (a new image's first
    boot, or osconf just installed). For the boot's fast path
    (`osconf.service`), which then hands over to the full run."""
    files = _HostFiles(root)
    if not files.is_file(RECORD):
        return True
    return any(
        not files.is_file(k.path) or not files.is_file(k.path + ".pub")
        for k in host_keys(files)  # type: ignore[arg-type]
    )


class Boot:
    """The boot run's hook: `seen()` the valid os.conf, `finish()` at the end.

    Created before the run records anything, so that it knows whether any
    run was ever recorded; `finish()` never raises: a failure is logged and
    the boot goes on (sshd may still have older keys).
    """

    def __init__(self, system: "System") -> None:
        from osconf import state

        self.system = system
        self.ever_ran = bool(state.load(system))
        self.conf: Optional[OsConf] = None

    def seen(self, conf: "OsConf") -> None:
        self.conf = conf

    def finish(self) -> None:
        if not self.system.is_live:
            return  # offline: keys baked into an image are what the manual forbids
        try:
            ensure(self.system, self.conf, self.ever_ran)
        except Exception as err:  # noqa: BLE001 - keys must never cost the boot its settings
            _log("error", "SSH host keys: %s: %s", type(err).__name__, err)
