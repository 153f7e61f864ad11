"""`osconf install` writes the interpreter osconf is installed for into the boot hooks.

The shipped unit and SysV script say /usr/bin/python3 (Debian's); a venv
install or RHEL 8 (platform-python, often no /usr/bin/python3) would have
a boot hook that cannot start. In a running system (or a chroot) the
interpreter is the one running the install; with `--root` it is read from
the image: its osconf script's `#!` line, else its python3, else
platform-python. Only plain absolute paths are written into the files.
"""

import shlex
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from osconf import install
from osconf.errors import ApplyError
from osconf.system import System
from tests.conftest import make_root

VENV = "/opt/osconf/venv/bin/python3"
PLATFORM = "/usr/libexec/platform-python"
SYSTEMD = {"usr/lib/systemd/systemd": ""}


def _boot_argv(tree: Path) -> List[str]:
    unit = (tree / "etc/systemd/system/osconf.service").read_text()
    line = next(x for x in unit.splitlines() if x.startswith("ExecStart="))
    return shlex.split(line[len("ExecStart=") :])


def _install(tree: Path, watch: bool = True) -> str:
    return "\n".join(install.install(System(tree), None, watch=watch))


def _tree(tmp_path: Path, files: Dict[str, str]) -> Path:
    return make_root(tmp_path / "tree", files)


def test_the_image_osconf_script_names_the_interpreter(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {**SYSTEMD, VENV[1:]: "", "opt/osconf/venv/bin/osconf":
                            f"#!{VENV}\nimport sys\n", "usr/bin/python3": ""})  # fmt: skip
    # pip puts the venv's script in the venv; a copy on PATH is a usual place.
    (tree / "usr/local/bin").mkdir(parents=True, exist_ok=True)
    (tree / "usr/local/bin/osconf").write_text(f"#!{VENV}\nimport sys\n")
    done = _install(tree)
    assert _boot_argv(tree) == [VENV, "-I", "-c", "import osconf.service as s; s.boot()"]
    watch = (tree / "etc/systemd/system/osconf-watch.service").read_text()
    assert "\nExecStart=/opt/osconf/venv/bin/osconf watch\n" in watch
    assert f"boots with: {VENV} -I" in done


def test_rhel8_platform_python_without_usr_bin_python3(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {**SYSTEMD, PLATFORM[1:]: ""})
    _install(tree)
    assert _boot_argv(tree)[:2] == [PLATFORM, "-I"]
    # No osconf script anywhere: the watcher runs the module with it.
    watch = (tree / "etc/systemd/system/osconf-watch.service").read_text()
    assert f"\nExecStart={PLATFORM} -m osconf watch\n" in watch


def test_rpm_script_with_platform_python_wins_over_usr_bin_python3(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {**SYSTEMD, PLATFORM[1:]: "", "usr/bin/python3": "",
                            "usr/bin/osconf": f"#!{PLATFORM} -s\nimport sys\n"})  # fmt: skip
    _install(tree)
    assert _boot_argv(tree)[0] == PLATFORM


def test_sysv_script_gets_the_interpreter(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {PLATFORM[1:]: ""})
    _install(tree)
    script = (tree / "etc/init.d/osconf").read_text()
    assert f"\nPYTHON={PLATFORM}\n" in script
    assert "\n        \"$PYTHON\" -I -c 'import osconf.service as s; s.boot()'\n" in script


@pytest.mark.parametrize(
    "shebang",
    [
        "#!/usr/bin/env python3",  # not a path to the interpreter
        "#!/opt/my venv/bin/python3",  # a space: the path would be cut
        '#!/opt/x/python3"\nExecStart=/bin/evil',  # a quote would end the unit's word
        "#!/opt/absent/bin/python3",  # not in the image
        "#!/bin/sh",  # a wrapper
    ],
)
def test_an_unusable_shebang_is_not_taken(tmp_path: Path, shebang: str) -> None:
    tree = _tree(tmp_path, {**SYSTEMD, "usr/bin/osconf": shebang + "\n", "opt/x/python3": "",
                            "bin/sh": "", "usr/bin/env": ""})  # fmt: skip
    _install(tree)
    unit = (tree / "etc/systemd/system/osconf.service").read_text()
    assert _boot_argv(tree)[0] == "/usr/bin/python3"
    assert "evil" not in unit


def test_on_the_running_system_it_is_the_running_interpreter() -> None:
    assert install.interpreter(System("/")) == sys.executable


def test_an_interpreter_path_that_cannot_go_into_a_unit_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "executable", "/opt/my venv/bin/python3")
    with pytest.raises(ApplyError):
        install.interpreter(System("/"))
