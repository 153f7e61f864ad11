"""Customized Linux (§3.3.5, §3.3.2) and osconf's own readiness.

No default SSH key pairs, no default password that survives the first
login, and a boot-time script that parses os.conf: osconf installed,
enabled for the image's init system, its unit or script runnable, the
image's Python and libraries at osconf's floors, the network stack found
and its software present.
"""

import re
from typing import List, Optional, Tuple

from osconf.checkimage import services
from osconf.checkimage.report import FAILED, OK, WARNING, Finding
from osconf.checkimage.system import _view, unreadable
from osconf.checkimage.target import Target
from osconf.checkimage.view import ImageView

# osconf's floors (setup.py): the image's interpreter and distribution packages.
FLOORS = (("python", (3, 6)), ("netaddr", (0, 7, 19)), ("pyroute2", (0, 5)))
EXECUTABLES = ("/usr/bin/osconf", "/usr/local/bin/osconf", "/usr/sbin/osconf", "/bin/osconf")
INITSCRIPT = "/etc/init.d/osconf"
LIB_DIRS = ("/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/local/lib64")
# What each network stack needs installed to bring the network up.
STACK_SOFTWARE = {
    "netplan": ("/usr/sbin/netplan", "/usr/bin/netplan"),
    "networkmanager": ("/usr/sbin/NetworkManager", "/usr/bin/NetworkManager"),
    "networkd": ("/lib/systemd/systemd-networkd", "/usr/lib/systemd/systemd-networkd"),
    "suse": ("/usr/sbin/wicked",),
    "ifupdown": ("/sbin/ifup", "/usr/sbin/ifup"),
    "ifcfg": ("/sbin/ifup", "/usr/sbin/ifup", "/etc/sysconfig/network-scripts/ifup"),
}


def check_host_keys(target: Target) -> Finding:
    name = "ssh host keys"
    blocked = unreadable(target, name)
    if blocked:
        return blocked
    from osconf.sshkeys import present

    keys = present(_view(target))
    if keys:
        return Finding(
            name,
            FAILED,
            f"default SSH host keys in the image (every instance would share them): "
            f"{', '.join(keys)}",
            "rm /etc/ssh/ssh_host_*; osconf creates them at each new instance's first boot",
        )
    return Finding(name, OK, "no SSH host keys in the image")


def check_default_password(target: Target) -> Finding:
    name = "default password"
    blocked = unreadable(target, name)
    if blocked:
        return blocked
    for line in (_view(target).read_text("/etc/shadow") or "").splitlines():
        fields = line.split(":")
        if fields[0] != "root" or len(fields) < 2:
            continue
        secret = fields[1]
        if secret == "":
            return Finding(
                name,
                FAILED,
                "root has an empty password: anyone can log in",
                "lock it: usermod -p '!' root",
            )
        if secret.startswith(("!", "*")) or secret in ("x", "LK", "NP"):
            return Finding(name, OK, "root's password is locked until os.conf sets one")
        return Finding(
            name,
            WARNING,
            "root has a usable password in /etc/shadow: it works on every instance until "
            "os.conf replaces it, and forever if os.conf carries none",
            "lock it: usermod -p '!' root",
        )
    return Finding(name, OK, "root has no entry in /etc/shadow")


def _osconf_command(view: ImageView) -> Optional[List[str]]:
    """The command the unit or SysV script runs, as a word list."""
    unit = services.unit_file(view, "osconf.service")
    text = view.read_text(unit) if unit else None
    if text is not None:
        for line in text.splitlines():
            if line.startswith("ExecStart="):
                return line[len("ExecStart=") :].lstrip("-@:+!").split()
        return None
    text = view.read_text(INITSCRIPT) if view.is_file(INITSCRIPT) else None
    for line in (text or "").splitlines():
        if line.startswith("OSCONF="):
            return line[len("OSCONF=") :].strip("\"'").split()
    return None


def site_dirs(view: ImageView) -> List[str]:
    """The image's Python 3 package directories."""
    found = []
    for top in LIB_DIRS:
        for entry in view.listdir(top):
            if re.match(r"^python3(\.\d+)?$", entry):
                for sub in ("site-packages", "dist-packages"):
                    if view.is_dir(f"{top}/{entry}/{sub}"):
                        found.append(f"{top}/{entry}/{sub}")
    return found


def python_version(view: ImageView) -> Optional[Tuple[int, ...]]:
    """The version of the image's `python3`, from what its link or directories say."""
    for path in ("/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3"):
        if view.is_file(path):
            match = re.search(r"python(\d+)\.(\d+)$", view.resolve(path))
            if match:
                return int(match.group(1)), int(match.group(2))
    versions = []
    for top in LIB_DIRS:
        for entry in view.listdir(top):
            match = re.match(r"^python(3)\.(\d+)$", entry)
            if match and view.is_file(f"{top}/{entry}/os.py"):
                versions.append((int(match.group(1)), int(match.group(2))))
    return max(versions) if versions else None


def _version(text: str) -> Tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text)[:4])


def package_version(view: ImageView, name: str) -> Tuple[bool, Optional[Tuple[int, ...]]]:
    """(installed, version) of a Python distribution in the image's site dirs."""
    installed = False
    for folder in site_dirs(view):
        for entry in view.listdir(folder):
            match = re.match(rf"^{name}-([0-9][^-]*?)(-py[^-]*)?\.(dist-info|egg-info)$", entry)
            if match:
                return True, _version(match.group(1))
            if entry == name:
                installed = True
    return installed, None


def _shown(version: Tuple[int, ...]) -> str:
    return ".".join(str(n) for n in version)


def check_osconf(target: Target) -> Finding:
    """Installed and enabled for the image's init system, its command runnable."""
    name = "boot-time script"
    blocked = unreadable(target, name)
    if blocked:
        return blocked
    view = _view(target)
    module = [d for d in site_dirs(view) if view.is_file(f"{d}/osconf/__init__.py")]
    programs = [p for p in EXECUTABLES if view.is_file(p)]
    fix = "install osconf with the image's Python, then osconf install --root IMAGE"
    if not module and not programs:
        return Finding(name, FAILED, "osconf (or any os.conf parser) is not installed", fix)
    if services.has_systemd(view):
        unit_path = services.unit_file(view, "osconf.service")
        if unit_path is None:
            return Finding(name, FAILED, "systemd image without osconf.service", fix)
        if not services.enabled_unit(view, "osconf.service"):
            return Finding(
                name,
                FAILED,
                "osconf.service is not enabled",
                "osconf install --root IMAGE (or systemctl enable osconf)",
            )
        how = "osconf.service enabled"
        unit = view.read_text(unit_path) or ""
        before = " ".join(re.findall(r"^Before=(.*)$", unit, re.M))
        if "sshd.service" not in before and "ssh.service" not in before:
            return Finding(
                name,
                WARNING,
                f"{unit_path} does not run before sshd",
                "reinstall the unit: osconf install --root IMAGE",
            )
    else:
        if not view.is_file(INITSCRIPT) or not view.is_executable(INITSCRIPT):
            return Finding(
                name, FAILED, f"no executable {INITSCRIPT} (no systemd in the image)", fix
            )
        if not services.enabled_script(view, "osconf"):
            return Finding(
                name,
                FAILED,
                f"{INITSCRIPT} has no S??osconf link in runlevels 2-5",
                "osconf install --root IMAGE",
            )
        how = f"{INITSCRIPT} enabled"
    command = _osconf_command(view)
    if not command:
        return Finding(
            name,
            FAILED,
            "the unit or script names no osconf command",
            "reinstall: osconf install --root IMAGE",
        )
    if not view.is_executable(command[0]):
        return Finding(
            name,
            FAILED,
            f"it runs {command[0]}, which the image does not have",
            "reinstall: osconf install --root IMAGE",
        )
    interpreter = command[0].rsplit("/", 1)[-1].startswith("python")
    if interpreter and not module:
        return Finding(
            name, FAILED, f"it runs {command[0]} with osconf's module, which is not installed", fix
        )
    return Finding(name, OK, f"{how}, runs {' '.join(command)}")


def check_python(target: Target) -> Finding:
    name = "python and libraries"
    blocked = unreadable(target, name)
    if blocked:
        return blocked
    view = _view(target)
    problems = []
    seen = []
    python = python_version(view)
    floor = dict(FLOORS)
    if python is None:
        problems.append("no python3 in the image")
    else:
        seen.append(f"python {_shown(python)}")
        if python < floor["python"]:
            problems.append(f"python {_shown(python)} < {_shown(floor['python'])}")
    for package in ("netaddr", "pyroute2"):
        installed, version = package_version(view, package)
        if version is not None:
            seen.append(f"{package} {_shown(version)}")
            if version < floor[package]:
                problems.append(f"{package} {_shown(version)} < {_shown(floor[package])}")
        elif installed:
            problems.append(f"{package} installed, version unknown")
        else:
            problems.append(f"{package} missing")
    if problems:
        status = (
            FAILED
            if any("missing" in p or "<" in p or "no python" in p for p in problems)
            else WARNING
        )
        return Finding(
            name,
            status,
            "; ".join(problems) + (f" (found {', '.join(seen)})" if seen else ""),
            "install python3 (>= 3.6), python3-netaddr (>= 0.7.19), python3-pyroute2 (>= 0.5)",
        )
    return Finding(name, OK, ", ".join(seen))


def check_stack(target: Target) -> Finding:
    name = "network stack"
    blocked = unreadable(target, name)
    if blocked:
        return blocked
    from osconf.errors import UnsupportedError
    from osconf.render import detect

    view = _view(target)
    try:
        stack = detect(view)
    except UnsupportedError as err:
        return Finding(name, FAILED, str(err), "install a supported stack or set network_stack=")
    software = STACK_SOFTWARE.get(stack.name, ())
    present = [p for p in software if view.exists(p)]
    if software and not present:
        return Finding(
            name,
            FAILED,
            f"{stack.title}: none of {', '.join(software)} installed",
            f"install {stack.title}",
        )
    return Finding(name, OK, f"{stack.title} ({', '.join(present) or 'configuration'})")
