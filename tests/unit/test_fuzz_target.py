"""Property-based fuzzing of the target side: whatever the image's files hold.

/etc/hosts, /etc/resolv.conf, /etc/shadow and /etc/sysconfig/network with
arbitrary bytes (not UTF-8, CRLF, no final newline, NULs, odd shadow lines):
planning and applying never raise (a failure is reported for its action),
every line osconf does not own is kept byte for byte, and a root hash that
was written verifies. Profiles as in test_fuzz.py (HYPOTHESIS_PROFILE).
"""

import shutil
import tempfile
from pathlib import Path
from typing import Optional

from hypothesis import given
from hypothesis import strategies as st

from osconf.apply import execute
from osconf.etcfiles import MARK
from osconf.plan import Options, make_plan
from osconf.sha512crypt import verify
from osconf.system import System
from osconf.validate import load
from tests.conftest import SAMPLES, make_root
from tests.unit.test_fuzz import PROFILE

# The spec's VPC sample, as the validator reads it.
CONF, _ = load((SAMPLES / "vpc.conf").read_bytes())
LINE = st.one_of(
    st.binary(max_size=60).map(lambda b: b.replace(b"\n", b"")),
    st.sampled_from(
        [
            b"127.0.0.1 localhost",
            b"127.0.1.1 old-name",
            b"# caf\xe9",
            b"nameserver 1.1.1.1",
            b"search example.com",
            b"options rotate",
            b"root:*:19000:0:99999:7:::",
            b"root:$6$salt$hash:19000",
            b"root",
            b"root::",
            b"root:x:",
            b"HOSTNAME=old",
            b"\r",
            b"",
        ]
    ),
)
CONTENT = st.lists(LINE, max_size=8).flatmap(
    lambda lines: st.sampled_from([b"\n", b"\r\n"]).map(lambda eol: eol.join(lines))
)


def _kept_lines(old: bytes, new: bytes, owned: bytes) -> None:
    """Every line of `old` that osconf does not own is in `new`, in order."""
    new_lines = new.split(b"\n")
    at = 0
    statement_owned = _sysconfig_owned(old) if owned == b"sysconfig" else set()
    for number, line in enumerate(old.split(b"\n")):
        if number in statement_owned:
            continue
        if _owned(line, owned) or not line.strip(b" \t\r"):
            continue
        assert line in new_lines[at:], (line, old, new)
        at = new_lines.index(line, at) + 1


def _sysconfig_owned(old: bytes) -> set:
    """Line numbers of `HOSTNAME=` statements, continuation lines included
    (a quoted value may span lines)."""
    from osconf.etcfiles import _statements

    lines = old.decode("utf-8", "surrogateescape").split("\n")
    owned, number = set(), 0
    for statement in _statements(lines):
        head = statement[0].lstrip(" \t")
        if head.startswith("export") and head[6:7] in (" ", "\t"):
            head = head[7:].lstrip(" \t")
        if head.startswith("HOSTNAME="):
            owned.update(range(number, number + len(statement)))
        number += len(statement)
    return owned


def _owned(line: bytes, kind: bytes) -> bool:
    fields = line.split(b"#", 1)[0].split()
    if kind == b"hosts":
        return line.rstrip().endswith(MARK.encode()) or (bool(fields) and fields[0] == b"127.0.1.1")
    if kind == b"resolv":
        return bool(line.split()) and line.split()[0] == b"nameserver"
    return line.strip().startswith(b"HOSTNAME=")


@PROFILE
@given(CONTENT, CONTENT, CONTENT, st.one_of(st.none(), CONTENT))
def test_any_target_content_is_applied_or_reported(
    hosts: bytes, resolv: bytes, shadow: bytes, sysconfig: Optional[bytes]
) -> None:
    base = Path(tempfile.mkdtemp(prefix="osconf-fuzz-"))
    try:
        root = make_root(base / "root")
        (root / "etc/hosts").write_bytes(hosts)
        (root / "etc/resolv.conf").write_bytes(resolv)
        (root / "etc/shadow").write_bytes(shadow)
        if sysconfig is not None:
            (root / "etc/sysconfig").mkdir()
            (root / "etc/sysconfig/network").write_bytes(sysconfig)
        system = System(root)
        report = execute(make_plan(CONF, system, Options()), system)
        assert all("password" in failure for failure in report.failed), report.failed
        assert (root / "etc/hostname").read_bytes() == b"iZ23r29djmjZ\n"
        _kept_lines(hosts, (root / "etc/hosts").read_bytes(), b"hosts")
        new_resolv = (root / "etc/resolv.conf").read_bytes()
        _kept_lines(resolv, new_resolv, b"resolv")
        assert b"nameserver 7.7.7.7\nnameserver 8.8.8.8\n" in new_resolv
        if sysconfig is not None:
            new_sysconfig = (root / "etc/sysconfig/network").read_bytes()
            _kept_lines(sysconfig, new_sysconfig, b"sysconfig")
            assert b"HOSTNAME=iZ23r29djmjZ\n" in new_sysconfig
        roots = [line for line in shadow.split(b"\n") if line.split(b":")[0] == b"root"]
        new_shadow = (root / "etc/shadow").read_bytes()
        if report.failed:
            assert new_shadow == shadow  # a password that could not be set changed nothing
        else:
            assert any(len(line.split(b":")) >= 2 for line in roots)
            hashed = [line for line in new_shadow.split(b"\n") if line.startswith(b"root:")]
            assert verify("qwer1234", hashed[0].split(b":")[1].decode())
    finally:
        shutil.rmtree(base)
