"""Which services an image starts at boot, read from its files only.

systemd: a unit is enabled when a link to it sits in a `*.wants` or
`*.requires` directory of /etc/systemd/system (what `systemctl enable`
makes) or of the vendor unit directories (static dependencies), and not
masked. SysV: an `S??name` link in a runlevel 2-5 directory.
"""

from typing import Iterable, List, Optional

from osconf.checkimage.view import ImageView

UNIT_DIRS = ("/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")
RC_DIRS = tuple(f"/etc/rc{n}.d" for n in "2345") + tuple(f"/etc/rc.d/rc{n}.d" for n in "2345")
SYSTEMD = ("/usr/lib/systemd/systemd", "/lib/systemd/systemd")


def has_systemd(view: ImageView) -> bool:
    return any(view.exists(p) for p in SYSTEMD)


def masked(view: ImageView, unit: str) -> bool:
    path = f"/etc/systemd/system/{unit}"
    return view.is_symlink(path) and view.readlink(path) == "/dev/null"


def unit_file(view: ImageView, unit: str) -> Optional[str]:
    """Where the image keeps `unit` (the first of the unit directories)."""
    for folder in UNIT_DIRS:
        if view.is_file(f"{folder}/{unit}"):
            return f"{folder}/{unit}"
    return None


def enabled_unit(view: ImageView, unit: str) -> bool:
    if masked(view, unit):
        return False
    for folder in UNIT_DIRS:
        for entry in view.listdir(folder):
            if entry.endswith((".wants", ".requires")) and unit in view.listdir(
                f"{folder}/{entry}"
            ):
                return True
    return False


def enabled_script(view: ImageView, name: str) -> bool:
    for folder in RC_DIRS:
        for entry in view.listdir(folder):
            if entry.startswith("S") and entry[3:] == name:
                return True
    return False


def enabled(view: ImageView, units: Iterable[str], scripts: Iterable[str] = ()) -> List[str]:
    """The names, of those given, that start at boot: the units, else the SysV
    scripts (a systemd image's packages often carry both)."""
    found = [u for u in units if enabled_unit(view, u)]
    return found or [s for s in scripts if enabled_script(view, s)]
