"""Officer passwords, hashed with argon2id (argon2-cffi); only the hash is stored.

:data:`HASHER` uses argon2-cffi's defaults, the RFC 9106 low-memory profile (3 passes over
64 MiB, 4 lanes: some 50 ms here). Tests swap in a cheap hasher by replacing it.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: The hasher in use (module-level so tests can replace it with low-cost parameters).
HASHER = PasswordHasher()

_dummy: tuple[PasswordHasher, str] | None = None


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` in PHC format, with a fresh random salt."""
    return HASHER.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` is the one ``password_hash`` was made from."""
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than :data:`HASHER` 's."""
    try:
        return HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def burn(password: str) -> None:
    """Spend the time a password check takes, when there is no hash to check against (an
    unknown username), so that timing does not tell which usernames exist."""
    global _dummy
    if _dummy is None or _dummy[0] is not HASHER:
        _dummy = (HASHER, HASHER.hash("not a password of anyone"))
    check_password(_dummy[1], password)
