"""osconf's own records are input too (issue 13, items 7 and 10): whatever
`state.json` and `network-state.json` hold, nothing fails, the sound entries
are kept, a damaged record is moved aside, and a run always goes on."""

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from osconf import netstate, state
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
    assert (root / "var/lib/osconf/state.json.damaged").read_text() == "[" * 50_000
    assert [r.outcome for r in state.load(system)] == ["absent"]


def test_a_record_that_cannot_be_written_does_not_fail_the_run(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "var/lib/osconf/state.json").mkdir(parents=True)
    state.record(System(root), state.Run("2026-01-01T00:00:00Z", "absent", "no os.conf"))
    assert (root / "var/lib/osconf/state.json").is_dir()


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
