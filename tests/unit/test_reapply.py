"""An unchanged re-apply writes nothing and checks the password with one hash."""

import os
from pathlib import Path

import pytest

from osconf import cli
from tests.conftest import SAMPLES, make_root


def snapshot(root: Path) -> dict:
    return {
        str(p): (p.stat().st_mtime_ns, p.stat().st_ino)
        for p in root.rglob("*")
        if not p.is_symlink()
    }


@pytest.mark.parametrize("sample", ["classic.conf", "vpc.conf"])
def test_unchanged_reapply(tmp_path: Path, sample: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import osconf.sha512crypt as crypt

    root = make_root(tmp_path / "root")
    args = ["apply", "--root", str(root), "--conf", str(SAMPLES / sample), "-q"]
    assert cli.main(args) == 0
    before = snapshot(root)
    hashes = []
    digest = crypt._digest
    monkeypatch.setattr(crypt, "_digest", lambda *a: hashes.append(1) or digest(*a))
    assert cli.main(args) == 0
    assert snapshot(root) == before, "nothing is written, renamed or backed up"
    assert len(hashes) == 1, "checking the password costs one hash"
    assert not [p for p in os.listdir(root / "etc") if p.endswith(".tmp")]
