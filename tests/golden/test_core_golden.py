"""Golden trees: the spec's samples applied to a minimal root, exact file sets.

Every file that the run creates, changes or removes is compared with
`tests/golden/core/<case>/expected/` — files osconf should not have touched
make the test fail as surely as wrong content. Values that differ per run
are normalised: the password hash (verified first), the shadow change day
and backup time stamps. Regenerate after an intended change with
`OSCONF_REGEN_GOLDEN=1` and review the diff.
"""

import os
import re
import shutil
from pathlib import Path
from typing import Dict, Tuple

import pytest

from osconf.sha512crypt import verify
from tests.conftest import make_root, run_osconf

HERE = Path(__file__).parent / "core"
CASES = sorted(p.name for p in HERE.iterdir() if (p / "os.conf").exists())
STAMP = re.compile(r"/\d{8}T\d{6}\.\d{9}$")


def snapshot(root: Path) -> Dict[str, bytes]:
    files = {}
    for path in root.rglob("*"):
        if path.is_file() or path.is_symlink():
            rel = path.relative_to(root).as_posix()
            files[rel] = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
    return files


def normalise(rel: str, data: bytes, password: str) -> Tuple[str, bytes]:
    rel = STAMP.sub("/STAMP", rel)
    if rel == "etc/shadow":
        lines = []
        for line in data.decode().splitlines():
            fields = line.split(":")
            if fields[0] == "root":
                assert verify(password, fields[1]), "root hash does not verify"
                fields[1], fields[2] = "HASH", "DAY"
            lines.append(":".join(fields))
        data = ("\n".join(lines) + "\n").encode()
    return rel, data


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, tmp_path: Path) -> None:
    root = make_root(tmp_path / "root")
    before = snapshot(root)
    result = run_osconf("apply", "--root", str(root), "--conf", str(HERE / case / "os.conf"))
    assert result.returncode == 0, result.stderr
    after = snapshot(root)
    touched = {rel for rel in after if before.get(rel) != after[rel]}
    removed = sorted(set(before) - set(after))
    actual = dict(normalise(rel, after[rel], "qwer1234") for rel in sorted(touched))
    expected_dir = HERE / case / "expected"
    if os.environ.get("OSCONF_REGEN_GOLDEN"):
        shutil.rmtree(expected_dir, ignore_errors=True)
        for rel, data in actual.items():
            (expected_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (expected_dir / rel).write_bytes(data)
    expected = {
        p.relative_to(expected_dir).as_posix(): p.read_bytes()
        for p in expected_dir.rglob("*")
        if p.is_file()
    }
    assert sorted(actual) == sorted(expected), "the set of files written differs"
    for rel in expected:
        assert actual[rel] == expected[rel], rel
    assert removed == []
    # A second run with the same file changes nothing at all.
    again = run_osconf("apply", "--root", str(root), "--conf", str(HERE / case / "os.conf"))
    assert again.returncode == 0, again.stderr
    assert snapshot(root) == after
