"""SHA-512 crypt ("$6$"), the password hash every current Linux verifies.

The hash is computed in-process, never by a command (the password would be
in its argv or need PAM inside the target root): by the system's libcrypt,
called through ctypes (glibc and libxcrypt have had "$6$" for 15 years),
else by the implementation here, written from Ulrich Drepper's specification
("Unix crypt using SHA-256 and SHA-512") for any Python (the stdlib `crypt`
module is deprecated and gone in 3.13). libcrypt is ~4x cheaper in a boot's
instructions than the pure one with the hashlib import it needs; the pure
one is also the tests' oracle for libcrypt's answers. The password is bytes
in, never logged, never kept.
"""

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, List, Optional

ROUNDS_DEFAULT = 5000
ROUNDS_MIN = 1000
ROUNDS_MAX = 999_999_999
# Verifying costs about a microsecond per round here: a bound keeps a boot
# from spending minutes on a hash an image ships.
VERIFY_ROUNDS_MAX = 200_000
_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Byte order of the final encoding (spec step 22, SHA-512 column).
_ORDER = (
    (0, 21, 42), (22, 43, 1), (44, 2, 23), (3, 24, 45), (25, 46, 4), (47, 5, 26),
    (6, 27, 48), (28, 49, 7), (50, 8, 29), (9, 30, 51), (31, 52, 10), (53, 11, 32),
    (12, 33, 54), (34, 55, 13), (56, 14, 35), (15, 36, 57), (37, 58, 16), (59, 17, 38),
    (18, 39, 60), (40, 61, 19), (62, 20, 41),
)  # fmt: skip


_LIBCRYPT_NAMES = ("libcrypt.so.1", "libcrypt.so.2")
_libcrypt_function: "Any" = None  # None: not looked up yet; False: none usable


def _libcrypt() -> "Any":
    """libcrypt's crypt(3), or False where there is none (or no ctypes)."""
    global _libcrypt_function
    if _libcrypt_function is None:
        _libcrypt_function = False
        try:
            import ctypes
        except ImportError:
            return False
        for name in _LIBCRYPT_NAMES:
            try:
                function = ctypes.CDLL(name).crypt
            except (OSError, AttributeError):
                continue
            function.restype = ctypes.c_char_p
            function.argtypes = (ctypes.c_char_p, ctypes.c_char_p)
            _libcrypt_function = function
            break
    return _libcrypt_function


def _system(password: str, setting: str) -> "Optional[str]":
    """libcrypt's hash, or None when it cannot give one: no libcrypt, a NUL
    in the password (C would cut it there), or an answer that is not a
    "$6$" hash of this setting (an old libcrypt without SHA-512: "*0", NULL)."""
    function = _libcrypt()
    raw = password.encode("utf-8")
    if not function or b"\0" in raw:
        return None
    answer = function(raw, setting.encode("ascii"))
    if not answer:
        return None
    hashed = str(answer.decode("ascii", "replace"))
    if not hashed.startswith(setting + "$") or len(hashed) != len(setting) + 87:
        return None
    return hashed


def _crypt(password: str, setting: str, rounds: int) -> str:
    """The one place a hash is computed (tests count the calls here)."""
    hashed = _system(password, setting)
    return hashed if hashed is not None else _pure(password, setting, rounds)


def _same(a: str, b: str) -> bool:
    """Constant-time comparison (hmac's, without hmac's OpenSSL import)."""
    try:
        from _operator import _compare_digest
    except ImportError:  # not CPython
        from hmac import compare_digest as _compare_digest
    return bool(_compare_digest(a.encode(), b.encode()))


def _repeat(digest: bytes, length: int) -> bytes:
    return digest * (length // 64) + digest[: length % 64]


def _encode(final: bytes) -> str:
    out: List[str] = []
    for a, b, c in _ORDER:
        word = (final[a] << 16) | (final[b] << 8) | final[c]
        for _ in range(4):
            out.append(_ALPHABET[word & 0x3F])
            word >>= 6
    word = final[63]
    for _ in range(2):
        out.append(_ALPHABET[word & 0x3F])
        word >>= 6
    return "".join(out)


def _pure(password: str, setting: str, rounds: int) -> str:
    """The spec's algorithm; `setting` is "$6$[rounds=N$]salt"."""
    salt = setting.rsplit("$", 1)[1]
    digest = _digest(password.encode("utf-8"), salt.encode("ascii"), rounds)
    return f"{setting}${_encode(digest)}"


def _digest(password: bytes, salt: bytes, rounds: int) -> bytes:
    import hashlib

    sha = hashlib.sha512
    b = sha(password + salt + password).digest()
    a = sha(password + salt + _repeat(b, len(password)))
    length = len(password)
    while length:
        a.update(b if length & 1 else password)
        length >>= 1
    c = a.digest()
    # Steps 13-20 hash the password len(password) times and the salt
    # 16 + c[0] times: fed piece by piece, never built as one string (a
    # long password would otherwise cost its length squared in memory).
    dp = sha()
    for _ in range(len(password)):
        dp.update(password)
    p = _repeat(dp.digest(), len(password))
    ds = sha()
    for _ in range(16 + c[0]):
        ds.update(salt)
    s = _repeat(ds.digest(), len(salt))
    # Round i hashes c with a fixed part that depends only on (i % 2, i % 3,
    # i % 7), which repeats every 42 rounds: precomputing the 42 fixed parts
    # keeps the loop at one concatenation and one digest per round.
    fixed = []
    for i in range(42):
        middle = (s if i % 3 else b"") + (p if i % 7 else b"")
        fixed.append((bool(i & 1), p + middle if i & 1 else middle + p))
    for i in range(rounds):
        odd, part = fixed[i % 42]
        c = sha(part + c if odd else c + part).digest()
    return c


def sha512_crypt(
    password: str, salt: "Optional[str]" = None, rounds: "Optional[int]" = None
) -> str:
    """Hashes `password`; a random 16-character salt unless one is given."""
    if salt is None:
        # 64 characters: a random byte modulo 64 is uniform.
        salt = "".join(_ALPHABET[byte & 0x3F] for byte in os.urandom(16))
    salt = salt[:16]
    if any(ch not in _ALPHABET for ch in salt):
        raise ValueError("salt characters must be from [./0-9A-Za-z]")
    prefix = "$6$"
    if rounds is None:
        used = ROUNDS_DEFAULT
    else:
        used = min(max(rounds, ROUNDS_MIN), ROUNDS_MAX)
        prefix += f"rounds={used}$"
    return _crypt(password, prefix + salt, used)


def verify(password: str, hashed: str, max_rounds: int = VERIFY_ROUNDS_MAX) -> bool:
    """True when `hashed` is a "$6$" hash of `password`.

    A hash whose cost is above `max_rounds` (an image's shadow may say
    rounds=999999999: half an hour in pure Python) is not verified: it
    counts as "does not match", so the caller writes a new hash of the
    usual cost, and a warning says why.
    """
    if not hashed.startswith("$6$"):
        return False
    fields = hashed[3:].split("$")
    rounds: Optional[int] = None
    if fields and fields[0].startswith("rounds="):
        try:
            rounds = int(fields.pop(0)[len("rounds=") :])
        except ValueError:
            return False
        if rounds > max_rounds:
            import logging

            logging.getLogger(__name__).warning(
                "the current hash uses rounds=%d, more than the %d osconf verifies: "
                "not compared, replaced by a new hash",
                rounds,
                max_rounds,
            )
            return False
    if len(fields) != 2:
        return False
    try:
        candidate = sha512_crypt(password, fields[0], rounds)
    except ValueError:
        return False
    return _same(candidate, hashed)
