"""The image compliance tool's checks on the image's files (manual §3.3.1).

Each function takes the `Target` and returns a `Finding`. A disk image whose
root file system cannot be read offline (xfs, no debugfs) gets a WARNING per
check saying so: undecided is not the same as passed.
"""

import re
from typing import Dict, List, Optional

from osconf.checkimage import services
from osconf.checkimage.report import FAILED, OK, SKIPPED, WARNING, Finding
from osconf.checkimage.target import Target
from osconf.checkimage.view import FS_APPEND, FS_IMMUTABLE, ImageView

VIRTIO = ("virtio_blk", "virtio_net", "virtio_pci")
MODULE_DIRS = ("/lib/modules", "/usr/lib/modules")
QEMU_GA = ("/usr/bin/qemu-ga", "/usr/sbin/qemu-ga", "/usr/local/bin/qemu-ga")
QEMU_GA_UNITS = ("qemu-guest-agent.service", "qemu-ga.service")
SSHD = ("/usr/sbin/sshd", "/sbin/sshd", "/usr/local/sbin/sshd")
SSH_UNITS = ("ssh.service", "sshd.service", "ssh.socket", "sshd.socket")
FIREWALL_UNITS = (
    "firewalld.service",
    "ufw.service",
    "iptables.service",
    "ip6tables.service",
    "nftables.service",
    "SuSEfirewall2.service",
    "netfilter-persistent.service",
)
FIREWALL_SCRIPTS = ("iptables", "ip6tables", "firewalld", "ufw", "SuSEfirewall2_setup")
PASSWD = ("/usr/bin/passwd", "/bin/passwd")
FSTAB_OK = (
    "xfs",
    "ext2",
    "ext3",
    "ext4",
    "vfat",
    "swap",
    "tmpfs",
    "proc",
    "sysfs",
    "devpts",
    "auto",
    "none",
    "nfs",
    "efivarfs",
    "devtmpfs",
    "iso9660",
)
# The service that brings the network up at boot, per osconf network stack.
NETWORK_SERVICES = {
    "netplan": ("systemd-networkd.service", "NetworkManager.service"),
    "networkmanager": ("NetworkManager.service",),
    "networkd": ("systemd-networkd.service",),
    "suse": ("wicked.service", "network.service"),
    "ifupdown": ("networking.service",),
    "ifcfg": ("network.service",),
}
NETWORK_SCRIPTS = {"ifupdown": ("networking",), "ifcfg": ("network",), "suse": ("network",)}


def unreadable(target: Target, name: str) -> Optional[Finding]:
    """The WARNING for a check that needs files the target does not let us read."""
    if target.view is not None:
        return None
    return Finding(
        name,
        WARNING,
        f"not decided: {target.why_no_view}",
        "check the unpacked root file system too: osconf check-image DIR",
    )


def _view(target: Target) -> ImageView:
    assert target.view is not None
    return target.view


def kernel_modules(view: ImageView) -> Dict[str, List[str]]:
    """Kernel version -> the virtio drivers it lacks (built in or as modules)."""
    result: Dict[str, List[str]] = {}
    for folder in MODULE_DIRS:
        for version in view.listdir(folder):
            if version in result or not view.is_dir(f"{folder}/{version}"):
                continue
            names = set()
            for index in ("modules.builtin", "modules.dep"):
                for line in (view.read_text(f"{folder}/{version}/{index}") or "").splitlines():
                    module = line.split(":", 1)[0].rsplit("/", 1)[-1]
                    names.add(re.sub(r"\.ko(\.(xz|gz|zst))?$", "", module).replace("-", "_"))
            config = view.read_text(f"/boot/config-{version}") or ""
            for driver in VIRTIO:
                if re.search(rf"^CONFIG_{driver.upper()}=[ym]$", config, re.M):
                    names.add(driver)
            result[version] = [d for d in VIRTIO if d not in names]
    return result


def check_driver(target: Target) -> Finding:
    name = "driver"
    blocked = unreadable(target, name)
    if blocked:
        return blocked
    kernels = kernel_modules(_view(target))
    fix = "install a kernel with the virtio drivers (virtio_blk, virtio_net, virtio_pci)"
    if not kernels:
        return Finding(name, FAILED, "no kernel modules directory (/lib/modules/VERSION)", fix)
    lacking = {v: m for v, m in kernels.items() if m}
    if len(lacking) == len(kernels):
        detail = "; ".join(f"{v} lacks {', '.join(m)}" for v, m in sorted(lacking.items()))
        return Finding(name, FAILED, f"no kernel with the virtio drivers: {detail}", fix)
    good = sorted(v for v in kernels if v not in lacking)
    if lacking:
        return Finding(
            name,
            WARNING,
            f"virtio drivers in {', '.join(good)}; missing in {', '.join(sorted(lacking))}",
            "boot a kernel with virtio drivers by default, or remove the others",
        )
    return Finding(name, OK, f"virtio drivers present in kernel {', '.join(good)}")


def check_shadow(target: Target) -> Finding:
    name = "shadow file authority"
    blocked = unreadable(target, name)
    if blocked:
        return blocked
    view = _view(target)
    if not view.is_file("/etc/shadow"):
        return Finding(name, FAILED, "/etc/shadow is missing", "restore /etc/shadow (pwconv)")
    flags = view.flags("/etc/shadow")
    if flags is None:
        return Finding(
            name,
            WARNING,
            "cannot read the inode flags of /etc/shadow",
            "check with lsattr /etc/shadow",
        )
    if flags & (FS_IMMUTABLE | FS_APPEND):
        kind = "immutable" if flags & FS_IMMUTABLE else "append-only"
        return Finding(
            name,
            FAILED,
            f"/etc/shadow is {kind}: no password can be set",
            "chattr -i -a /etc/shadow",
        )
    return Finding(name, OK, "/etc/shadow is writable (not immutable)")


def check_selinux(target: Target) -> Finding:
    name = "security"
    blocked = unreadable(target, name)
    if blocked:
        return blocked
    text = _view(target).read_text("/etc/selinux/config")
    if text is None:
        return Finding(name, OK, "no /etc/selinux/config: SELinux is not configured")
    mode = ""
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == "SELINUX":
            mode = value.strip().strip("\"'").lower()
    if mode == "enforcing":
        return Finding(
            name,
            FAILED,
            "SELINUX=enforcing in /etc/selinux/config",
            "set SELINUX=disabled (or permissive) in /etc/selinux/config",
        )
    return Finding(name, OK, f"SELINUX={mode or 'unset'} in /etc/selinux/config")


def check_qemu_ga(target: Target) -> Finding:
    name = "qemu-ga"
    blocked = unreadable(target, name)
    if blocked:
        return blocked
    view = _view(target)
    found = [p for p in QEMU_GA if view.exists(p)]
    found += [u for u in QEMU_GA_UNITS if services.unit_file(view, u)]
    if found:
        return Finding(
            name, FAILED, f"qemu-ga is installed: {', '.join(found)}", "uninstall qemu-guest-agent"
        )
    return Finding(name, OK, "qemu-ga is not installed")


def check_network(target: Target) -> Finding:
    name = "network"
    blocked = unreadable(target, name)
    if blocked:
        return blocked
    from osconf.errors import UnsupportedError
    from osconf.render import detect

    view = _view(target)
    try:
        stack = detect(view)
    except UnsupportedError as err:
        return Finding(name, FAILED, str(err), "install a network stack osconf supports")
    units = NETWORK_SERVICES.get(stack.name, ())
    on = services.enabled(view, units, NETWORK_SCRIPTS.get(stack.name, ()))
    if not on:
        return Finding(
            name,
            WARNING,
            f"network stack {stack.name}, but none of {', '.join(units)} is enabled",
            f"enable {units[0] if units else 'the network service'}",
        )
    return Finding(name, OK, f"network stack {stack.name}, {', '.join(on)} enabled")


def sshd_option(view: ImageView, keyword: str) -> Optional[str]:
    """sshd's value for `keyword`: the first one in its configuration wins."""
    from osconf.sshkeys import config_lines

    for key, value in config_lines(view):
        if key == keyword.lower():
            return value
    return None


def check_ssh(target: Target) -> Finding:
    name = "ssh"
    blocked = unreadable(target, name)
    if blocked:
        return blocked
    view = _view(target)
    if not any(view.is_file(p) for p in SSHD):
        return Finding(name, FAILED, "no sshd in the image", "install the OpenSSH server")
    on = services.enabled(view, SSH_UNITS, ("ssh", "sshd"))
    if not on:
        return Finding(
            name,
            FAILED,
            "sshd is installed but not enabled at boot",
            "systemctl enable ssh (sshd on RHEL/SUSE)",
        )
    permit = (sshd_option(view, "PermitRootLogin") or "").lower()
    password = (sshd_option(view, "PasswordAuthentication") or "yes").lower()
    if permit == "no":
        return Finding(
            name,
            FAILED,
            "PermitRootLogin no: root cannot log in over SSH",
            "PermitRootLogin yes in /etc/ssh/sshd_config",
        )
    if permit != "yes":
        shown = permit or "unset (OpenSSH's default prohibit-password)"
        return Finding(
            name,
            WARNING,
            f"{', '.join(on)} enabled; PermitRootLogin {shown}: the os.conf root password "
            "cannot be used over SSH",
            "PermitRootLogin yes in /etc/ssh/sshd_config",
        )
    if password == "no":
        return Finding(
            name,
            WARNING,
            "PasswordAuthentication no: the os.conf password is refused",
            "PasswordAuthentication yes in /etc/ssh/sshd_config",
        )
    return Finding(name, OK, f"{', '.join(on)} enabled, PermitRootLogin yes")


def check_firewall(target: Target) -> Finding:
    name = "firewall"
    blocked = unreadable(target, name)
    if blocked:
        return blocked
    view = _view(target)
    on = services.enabled(view, FIREWALL_UNITS, FIREWALL_SCRIPTS)
    ufw = view.read_text("/etc/ufw/ufw.conf") or ""
    if "ufw.service" in on and not re.search(r"^ENABLED=\"?yes", ufw, re.M):
        on.remove("ufw.service")  # the unit runs, but ufw itself is off
    if on:
        return Finding(
            name,
            WARNING,
            f"a firewall starts at boot: {', '.join(on)}",
            "disable it (systemctl disable ...) so that port 22 is reachable",
        )
    return Finding(name, OK, "no firewall service enabled")


def check_root_account(target: Target) -> Finding:
    name = "root account"
    blocked = unreadable(target, name)
    if blocked:
        return blocked
    for line in (_view(target).read_text("/etc/passwd") or "").splitlines():
        fields = line.split(":")
        if fields[0] == "root" and len(fields) >= 7:
            if fields[2] != "0":
                return Finding(name, FAILED, f"root has uid {fields[2]}", "give root uid 0")
            return Finding(name, OK, f"root (uid 0, shell {fields[6]})")
    return Finding(name, FAILED, "no root account in /etc/passwd", "restore the root account")


def check_passwd(target: Target) -> Finding:
    name = "password"
    blocked = unreadable(target, name)
    if blocked:
        return blocked
    view = _view(target)
    found = [p for p in PASSWD if view.is_executable(p)]
    if not found:
        return Finding(name, WARNING, "no passwd command", "install passwd (shadow-utils)")
    return Finding(name, OK, f"{found[0]} present")


def check_lib_links(target: Target) -> Finding:
    name = "lib"
    blocked = unreadable(target, name)
    if blocked:
        return blocked
    view = _view(target)
    absolute = []
    notes = []
    for path in ("/lib", "/lib64"):
        if view.is_symlink(path):
            link = view.readlink(path)
            notes.append(f"{path} -> {link}")
            if link.startswith("/"):
                absolute.append(f"{path} -> {link}")
    if absolute:
        return Finding(
            name,
            WARNING,
            f"absolute links: {', '.join(absolute)}",
            "make them relative: ln -sfn usr/lib /lib (usr/lib64 for /lib64)",
        )
    return Finding(name, OK, ", ".join(notes) or "/lib and /lib64 are directories")


def fstab_types(view: ImageView) -> List[List[str]]:
    entries = []
    for line in (view.read_text("/etc/fstab") or "").splitlines():
        fields = line.split()
        if len(fields) >= 3 and not fields[0].startswith("#"):
            entries.append(fields)
    return entries


def check_fstab(target: Target) -> Finding:
    """On a tree: file system types from /etc/fstab (the disk has the superblocks)."""
    name = "filesystem"
    blocked = unreadable(target, name)
    if blocked:
        return blocked
    entries = fstab_types(_view(target))
    bad = [f"{e[1]} ({e[2]})" for e in entries if e[2] not in FSTAB_OK]
    if bad:
        return Finding(
            name,
            FAILED,
            f"unsupported file systems in /etc/fstab: {', '.join(bad)}",
            "use xfs, ext3 or ext4",
        )
    if not entries:
        return Finding(name, SKIPPED, "no /etc/fstab entries; the disk image has the superblocks")
    kinds = sorted({e[2] for e in entries})
    return Finding(
        name, OK, f"/etc/fstab types: {', '.join(kinds)} (features: check the disk image)"
    )
