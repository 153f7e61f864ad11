"""The read-only view of the target has its own module: nothing the planner
imports names `osconf.plan` back (issue 13, "close the seams")."""

import ast
from pathlib import Path

from tests.conftest import REPO

PLANNED = ["network.py", "resolver.py", "live.py", "reload.py", "render"]


def _imports(path: Path) -> set:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_module_the_planner_uses_imports_the_planner() -> None:
    files = []
    for name in PLANNED:
        path = REPO / "osconf" / name
        files += sorted(path.glob("*.py")) if path.is_dir() else [path]
    offenders = [str(p.relative_to(REPO)) for p in files if "osconf.plan" in _imports(p)]
    assert not offenders, offenders


def test_view_depends_on_nothing_of_osconf_but_compat() -> None:
    modules = {m for m in _imports(REPO / "osconf/view.py") if m.startswith("osconf")}
    assert modules <= {"osconf.compat"}, modules
