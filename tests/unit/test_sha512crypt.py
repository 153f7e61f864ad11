"""In-process SHA-512 crypt against independent implementations.

Both of osconf's backends are checked: the system's libcrypt (what runs
where there is one) and the pure-Python implementation (the fallback, and
the oracle libcrypt's answers are held to).
"""

import shutil
import subprocess
import warnings
from typing import Optional

import pytest
from hypothesis import given
from hypothesis import strategies as st

from osconf import sha512crypt
from osconf.sha512crypt import sha512_crypt, verify


@pytest.fixture(params=["libcrypt", "pure"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test once with each backend; libcrypt must really be used."""
    if request.param == "pure":
        monkeypatch.setattr(sha512crypt, "_system", lambda password, setting: None)
    else:
        assert sha512crypt._system("pw", "$6$saltsalt") is not None, "libcrypt not used"
    return str(request.param)


LONG_TEXT = "a very much longer text to encrypt.  This one even stretches over morethan one line."
# Vectors from the specification's test suite (Drepper, "Unix crypt using SHA-256/512").
SPEC_VECTORS = [
    ("$6$saltstring", "Hello world!",
     "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"),
    ("$6$rounds=10000$saltstringsaltstring", "Hello world!",
     "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v."),
    ("$6$rounds=1400$anotherlongsaltstring", LONG_TEXT,
     "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1"),
    ("$6$rounds=10$roundstoolow", "the minimum number is still observed",
     "$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX."),
]  # fmt: skip  # noqa: E501


@pytest.mark.parametrize(("setting", "password", "expected"), SPEC_VECTORS)
def test_specification_vectors(backend: str, setting: str, password: str, expected: str) -> None:
    parts = setting[3:].split("$")
    rounds = int(parts[0].split("=")[1]) if parts[0].startswith("rounds=") else None
    salt = parts[-1]
    assert sha512_crypt(password, salt, rounds) == expected
    assert verify(password, expected)
    assert not verify(password + "x", expected)


@pytest.mark.parametrize("password", ["qwer1234", "pässwörd ✓", "x" * 200, "a" * 64, "#:;$`'\""])
def test_matches_libc(password: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        crypt = pytest.importorskip("crypt")
    hashed = sha512_crypt(password)
    assert crypt.crypt(password, hashed) == hashed


def test_matches_openssl() -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl not installed")
    result = subprocess.run(
        [openssl, "passwd", "-6", "-salt", "abcdefgh", "-stdin"],
        input="qwer1234\n",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        universal_newlines=True,
        check=True,
    )
    assert sha512_crypt("qwer1234", "abcdefgh") == result.stdout.strip()


def test_random_salt_and_bad_input(backend: str) -> None:
    a, b = sha512_crypt("pw"), sha512_crypt("pw")
    assert a != b and verify("pw", a) and verify("pw", b)
    assert not verify("pw", "$1$md5$whatever") and not verify("pw", "*") and not verify("pw", "!")
    assert not verify("pw", "$6$rounds=x$salt$hash")
    with pytest.raises(ValueError):
        sha512_crypt("pw", "bad salt!")


def test_a_long_password_costs_linear_memory(backend: str) -> None:
    # Issue 13, item 8: `password * len(password)` took 2.2 GB for 48,000 bytes.
    import resource

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    hashed = sha512_crypt("p" * 8_000, "saltsalt", 1000)  # 64 MB as one string
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 16 * 1024, f"peak RSS grew by {grown_kib} KiB"
    assert verify("p" * 8_000, hashed, max_rounds=1000)


def test_a_costly_image_hash_is_not_verified_but_replaced(caplog: pytest.LogCaptureFixture) -> None:
    # Issue 13, item 8: rounds=999999999 took ~29 minutes to verify.
    costly = "$6$rounds=999999999$saltsalt$" + "x" * 86
    assert not verify("secret", costly)  # returns at once: not computed
    assert "rounds=999999999" in caplog.text and "secret" not in caplog.text


def test_the_password_length_is_bounded() -> None:
    import base64

    from osconf.errors import ConfigError
    from osconf.validate import PASSWORD_MAX_BYTES, load

    value = base64.b64encode(b"p" * (PASSWORD_MAX_BYTES + 1)).decode()
    with pytest.raises(ConfigError, match="more than the 1024 allowed"):
        load(f"password={value}\n".encode(), "os.conf")


SALT = st.text(alphabet=sha512crypt._ALPHABET, max_size=20)


@given(st.text(max_size=80), SALT, st.one_of(st.none(), st.integers(0, 3000)))
def test_libcrypt_agrees_with_the_pure_implementation(
    password: str, salt: str, rounds: Optional[int]
) -> None:
    expected_rounds = 5000 if rounds is None else min(max(rounds, 1000), 999_999_999)
    prefix = "$6$" if rounds is None else f"$6$rounds={expected_rounds}$"
    setting = prefix + salt[:16]
    pure = sha512crypt._pure(password, setting, expected_rounds)
    if "\0" in password:
        assert sha512crypt._system(password, setting) is None  # C would cut it at the NUL
    else:
        assert sha512crypt._system(password, setting) == pure
    assert sha512_crypt(password, salt, rounds) == pure


def test_a_nul_in_the_password_is_hashed_whole() -> None:
    hashed = sha512_crypt("before\0after", "saltsalt")
    assert hashed == sha512crypt._pure("before\0after", "$6$saltsalt", 5000)
    assert not verify("before", hashed)


def test_no_libcrypt_means_the_pure_implementation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sha512crypt, "_LIBCRYPT_NAMES", ("libosconf-no-such-library.so",))
    monkeypatch.setattr(sha512crypt, "_libcrypt_function", None)
    hashed = sha512_crypt("qwer1234", "abcdefgh")
    assert sha512crypt._libcrypt() is False
    assert hashed == sha512crypt._pure("qwer1234", "$6$abcdefgh", 5000)
    assert verify("qwer1234", hashed)
