"""SHA-512 crypt ("$6$"), the password hash every current Linux verifies.

Written from Ulrich Drepper's specification ("Unix crypt using SHA-256 and
SHA-512") so that osconf hashes in-process on any Python: the stdlib `crypt`
module is deprecated and gone in 3.13, and running `chpasswd` would need PAM
inside the target root. The password is bytes in, never logged.
"""

import hashlib
import hmac
import logging
import secrets
from typing import List, Optional

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


def _digest(password: bytes, salt: bytes, rounds: int) -> bytes:
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


def sha512_crypt(password: str, salt: Optional[str] = None, rounds: Optional[int] = None) -> str:
    """Hashes `password`; a random 16-character salt unless one is given."""
    if salt is None:
        salt = "".join(secrets.choice(_ALPHABET) for _ in range(16))
    salt = salt[:16]
    if any(ch not in _ALPHABET for ch in salt):
        raise ValueError("salt characters must be from [./0-9A-Za-z]")
    prefix = "$6$"
    if rounds is None:
        used = ROUNDS_DEFAULT
    else:
        used = min(max(rounds, ROUNDS_MIN), ROUNDS_MAX)
        prefix += f"rounds={used}$"
    digest = _digest(password.encode("utf-8"), salt.encode("ascii"), used)
    return f"{prefix}{salt}${_encode(digest)}"


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
    return hmac.compare_digest(candidate.encode(), hashed.encode())
