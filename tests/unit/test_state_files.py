"""osconf's own records are input too (issue 13, items 7 and 10): whatever
`state.json` and `network-state.json` hold, nothing fails, the sound entries
are kept, a damaged record is moved aside, and a run always goes on."""

import json
import os
import tempfile
from pathlib import Path
from typing import Dict

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from osconf import damaged, netstate, state
from osconf.live import RecordNetworkState
from osconf.model import Route
from osconf.netstate import NicState
from osconf.system import System

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)
FIELD_NAMES = st.sampled_from(
    ["time", "outcome", "message", "source", "digest", "changes", "mac", "name", "addresses",
     "routes", "version", "runs", "nics"]
)  # fmt: skip
SHAPED = st.recursive(
    JSON, lambda children: st.dictionaries(FIELD_NAMES, children, max_size=7), max_leaves=40
)


def damaged_text(key: str) -> "st.SearchStrategy[str]":
    """A record's text, mostly damaged: any JSON shape, the record's own
    frame with anything under `key`, or arbitrary bytes."""
    return st.one_of(
        SHAPED.map(json.dumps),
        SHAPED.map(lambda v: json.dumps({"version": 1, key: v})),
        st.binary(max_size=120).map(lambda b: b.decode("utf-8", "surrogateescape")),
    )


class Files:
    """A read-only view holding one file's text."""

    is_live = False

    def __init__(self, text: str) -> None:
        self.text = text

    def read_text(self, path: str) -> str:
        return self.text


@settings(deadline=None, max_examples=120)
@given(SHAPED)
def test_any_state_record_loads_or_counts_as_empty(value: object) -> None:
    runs = state.load(Files(json.dumps({"version": 1, "runs": value})))
    assert all(isinstance(r.outcome, str) and isinstance(r.changes, int) for r in runs)
    state.load(Files(json.dumps(value)))


@settings(deadline=None, max_examples=120)
@given(SHAPED)
def test_any_network_record_loads_or_counts_as_empty(value: object) -> None:
    found = netstate.loads(json.dumps({"version": 1, "nics": value}))
    for nic in found:
        assert nic.mac is None or isinstance(nic.mac, str)
        assert all(isinstance(a, str) for a in nic.addresses)
        assert all(isinstance(r, Route) for r in nic.routes)
    netstate.loads(json.dumps(value))


@settings(deadline=None, max_examples=60)
@given(st.binary(max_size=200))
def test_any_bytes_in_the_records(data: bytes) -> None:
    text = data.decode("utf-8", "surrogateescape")
    state.load(Files(text))
    netstate.loads(text)


def test_deep_nesting_and_wrong_types() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    assert state.load(Files(deep)) == []
    assert netstate.loads(deep) == ()
    wrong_mac = {"version": 1, "nics": [{"mac": ["x"], "name": "eth0", "addresses": [],
                                         "routes": []}]}  # fmt: skip
    assert netstate.loads(json.dumps(wrong_mac)) == ()
    assert state.load(Files('{"runs": [{"time": "t", "outcome": null, "message": "m"}]}')) == []


def test_a_damaged_record_is_moved_aside_and_the_run_recorded(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "var/lib/osconf").mkdir(parents=True)
    (root / "var/lib/osconf/state.json").write_text("[" * 50_000)
    system = System(root)
    state.record(system, state.Run("2026-01-01T00:00:00Z", "absent", "no os.conf"))
    [aside] = (root / "var/lib/osconf").glob("state.json.damaged-*")
    assert aside.read_text() == "[" * 50_000
    assert [r.outcome for r in state.load(system)] == ["absent"]


def test_a_record_that_cannot_be_written_does_not_fail_the_run(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "var/lib").mkdir(parents=True)
    (root / "var/lib/osconf").write_text("a file where osconf's folder belongs\n")
    state.record(System(root), state.Run("2026-01-01T00:00:00Z", "absent", "no os.conf"))
    assert (root / "var/lib/osconf").read_text() == "a file where osconf's folder belongs\n"


def test_an_os_conf_without_a_default_route_keeps_the_previous_one() -> None:
    # Issue 13, item 10: the previous default route was removed, none left.
    mac = "00:8c:fa:5e:14:23"
    previous = (NicState(mac, "eth0", ("10.0.0.5/24",), (Route("0.0.0.0/0", "10.0.0.1"),)),)
    now = (NicState(mac, "eth0", ("10.0.0.6/24",), ()),)
    assert netstate.stale(previous, now) == (NicState(mac, "eth0", ("10.0.0.5/24",), ()),)
    moved = (NicState(mac, "eth0", ("10.0.0.6/24",), (Route("0.0.0.0/0", "10.0.0.254"),)),)
    assert netstate.stale(previous, moved)[0].routes == (Route("0.0.0.0/0", "10.0.0.1"),)


def test_the_digest_leaves_out_every_password_line_the_parser_reads() -> None:
    # Issue 13, item 15: `export<TAB>password=` was parsed as the password but kept here.
    base = b"hostname=a\n"
    for line in (b"password=c2VjcmV0", b"export\tpassword=c2VjcmV0", b"  export  password=x",
                 b"\xef\xbb\xbfpassword=x"):  # fmt: skip
        assert state.digest(base + line + b"\n") == state.digest(base), line
    assert state.digest(base + b"passwordx=1\n") != state.digest(base)


SOUND = NicState("00:8c:fa:5e:14:23", "eth0", ("10.0.0.5/24",), (Route("0.0.0.0/0", "10.0.0.1"),))


def _tree(top: Path) -> Dict[str, bytes]:
    out = {}
    for folder, dirs, files in os.walk(top):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, top)
            out[rel] = os.readlink(path).encode() if os.path.islink(path) else b""
            if not os.path.islink(path) and os.path.isfile(path):
                out[rel] = Path(path).read_bytes()
    return out


@settings(deadline=None, max_examples=80)
@given(damaged_text("nics"))
def test_a_damaged_network_record_is_moved_aside_and_a_sound_one_written(text: str) -> None:
    with tempfile.TemporaryDirectory() as top:
        root = Path(top) / "root"
        folder = root / "var/lib/osconf"
        folder.mkdir(parents=True)
        record = folder / "network-state.json"
        record.write_bytes(text.encode("utf-8", "surrogateescape"))
        outside = Path(top) / "outside"
        outside.mkdir()
        (outside / "keep").write_text("host file\n")
        before = _tree(outside)
        system = System(root)
        previous, damaged = netstate.read(system)
        RecordNetworkState((SOUND,), (), damaged).execute(system)
        assert netstate.parse(record.read_text()) == ((SOUND,), False)
        aside = sorted(folder.glob("network-state.json.damaged-*"))
        if damaged:
            [kept] = aside
            assert kept.read_bytes() == text.encode("utf-8", "surrogateescape")
        else:
            assert aside == [] and len(previous) == (len(json.loads(text)["nics"]) if text else 0)
        assert _tree(outside) == before


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_a_directory_or_fifo_in_the_records_place_is_moved_aside(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "root/var/lib/osconf"
    folder.mkdir(parents=True)
    for name in ("state.json", "network-state.json"):
        if kind == "directory":
            (folder / name).mkdir()
        else:
            os.mkfifo(folder / name)
    system = System(tmp_path / "root")
    state.record(system, state.Run("2026-01-01T00:00:00Z", "absent", "no os.conf"))
    assert [r.outcome for r in state.load(system)] == ["absent"]
    RecordNetworkState((SOUND,), (), netstate.read(system)[1]).execute(system)
    assert netstate.loads(system.read_text(netstate.STATE_FILE)) == (SOUND,)
    assert len(list(folder.glob("*.damaged-*"))) == 2


def test_damaged_records_kept_aside_are_bounded_and_links_never_followed(tmp_path: Path) -> None:
    folder = tmp_path / "root/var/lib/osconf"
    folder.mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("host file\n")
    # Planted: an old "damaged" name that is a link out of the root, and a
    # name that only looks like one.
    os.symlink(outside / "victim", folder / "state.json.damaged-20000101T000000Z")
    (folder / "state.json.damaged-notastamp").write_text("kept\n")
    system = System(tmp_path / "root")
    for index in range(damaged.KEEP_DAMAGED + 3):
        (folder / "state.json").write_text(f"damaged {index}")
        state.record(system, state.Run("2026-01-01T00:00:00Z", "absent", f"run {index}"))
    aside = sorted(p.name for p in folder.glob("state.json.damaged-*"))
    assert len(aside) == damaged.KEEP_DAMAGED + 1, aside  # + the one that is not a stamp
    assert "state.json.damaged-notastamp" in aside
    kept = sorted((folder / n).read_text() for n in aside if n.endswith("Z") or "Z-" in n)
    assert kept == [f"damaged {i}" for i in range(3, damaged.KEEP_DAMAGED + 3)]
    assert (outside / "victim").read_text() == "host file\n"
    assert not (folder / "state.json.damaged-20000101T000000Z").is_symlink()


@example(json.dumps({"version": 1, "runs": [{"time": "t", "outcome": "applied", "message": "m"},
                                             {"time": 1}]}))  # fmt: skip
@settings(deadline=None, max_examples=80)
@given(damaged_text("runs"))
def test_a_damaged_run_record_is_moved_aside_and_the_run_recorded(text: str) -> None:
    with tempfile.TemporaryDirectory() as top:
        folder = Path(top) / "root/var/lib/osconf"
        folder.mkdir(parents=True)
        record = folder / "state.json"
        data = text.encode("utf-8", "surrogateescape")
        record.write_bytes(data)
        system = System(Path(top) / "root")
        before = state.load(system)
        damaged = state._load(system)[1]
        state.record(system, state.Run("2026-01-01T00:00:00Z", "absent", "this run"))
        after = state.load(system)
        assert after[0].message == "this run" and after[1:] == before[: state.HISTORY - 1]
        assert state._sound(record.read_text()), "the boot path can extend it"
        aside = list(folder.glob("state.json.damaged-*"))
        assert [p.read_bytes() for p in aside] == ([data] if damaged else [])
