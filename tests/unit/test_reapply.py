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
    compute = crypt._crypt
    monkeypatch.setattr(crypt, "_crypt", lambda *a: hashes.append(1) or compute(*a))
    assert cli.main(args) == 0
    assert snapshot(root) == before, "nothing is written, renamed or backed up"
    assert len(hashes) == 1, "checking the password costs one hash"
    assert not [p for p in os.listdir(root / "etc") if p.endswith(".tmp")]


def test_a_changed_password_costs_two_hashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import osconf.sha512crypt as crypt

    root = make_root(tmp_path / "root")
    args = ["apply", "--root", str(root), "--conf", str(SAMPLES / "classic.conf"), "-q"]
    assert cli.main(args) == 0
    shadow = root / "etc/shadow"
    lines = shadow.read_text().splitlines(keepends=True)
    other = crypt.sha512_crypt("another password")
    shadow.write_text(
        "".join(f"root:{other}:1::::::\n" if line.startswith("root:") else line for line in lines)
    )
    hashes = []
    compute = crypt._crypt
    monkeypatch.setattr(crypt, "_crypt", lambda *a: hashes.append(1) or compute(*a))
    assert cli.main(args) == 0
    assert len(hashes) == 2, "one to see that the password differs, one for the new hash"
    from osconf.etcfiles import shadow_hash

    assert crypt.verify("qwer1234", shadow_hash(shadow.read_text(), "root") or "")
