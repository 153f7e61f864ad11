"""`osconf check-image TARGET`: will this image work as an ECS Customized Linux?

Importing an image takes hours and fails late. These checks decide offline,
from an image tree or a disk image file, what the manual's compliance tool
(§3.3.1 `image_check`) checks inside a running server, plus the Customized
Linux requirements (§3.3.5, §3.3.2) and osconf's own readiness. The checks
are data: `CHECKS` lists them in report order; each is a function of the
`Target` returning one `Finding`.
"""

from typing import Callable, Dict, List, Tuple

from osconf.checkimage import custom, disk, system
from osconf.checkimage.report import Finding, Report
from osconf.checkimage.target import Target, opened

Check = Callable[[Target], Finding]

# (group, check): the compliance tool's items in its order, then Customized Linux.
CHECKS: Tuple[Tuple[str, Check], ...] = (
    ("image_check", system.check_driver),
    ("image_check", system.check_shadow),
    ("image_check", system.check_selinux),
    ("image_check", system.check_qemu_ga),
    ("image_check", system.check_network),
    ("image_check", system.check_ssh),
    ("image_check", system.check_firewall),
    ("image_check", disk.check_filesystems),
    ("image_check", system.check_root_account),
    ("image_check", system.check_passwd),
    ("image_check", disk.check_partition_table),
    ("image_check", disk.check_lvm),
    ("image_check", system.check_lib_links),
    ("image_check", disk.check_disk_size),
    ("image_check", disk.check_disk_use),
    ("image_check", disk.check_inode_use),
    ("customized", disk.check_first_partition),
    ("customized", custom.check_host_keys),
    ("customized", custom.check_default_password),
    ("customized", custom.check_osconf),
    ("customized", custom.check_python),
    ("customized", custom.check_stack),
)


def facts(target: Target) -> Dict[str, str]:
    """What the import form asks for: the system, and the disk's size."""
    found = {}
    view = target.view
    text = view.read_text("/etc/os-release") if view is not None else None
    values = {}
    for line in (text or "").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip().strip("\"'")
    found["Current system"] = values.get("PRETTY_NAME") or values.get("ID") or "unknown"
    if target.layout is not None:
        found["System disk size"] = f"{target.layout.size / 1024**3:.1f} GiB (virtual)"
        if target.root is not None:
            found["Root file system"] = f"partition {target.root.number} ({target.root.fs})"
    return found


def examine(target: Target) -> Report:
    """Every check on an opened target."""
    findings: List[Finding] = []
    for _group, check in CHECKS:
        findings.append(check(target))
    return Report(target.name, target.kind, facts(target), tuple(findings))


def check_image(path: str) -> Report:
    """Opens `path` (a tree or a disk image file), runs every check."""
    with opened(path) as target:
        return examine(target)
