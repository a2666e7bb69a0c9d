"""Personal data (ID numbers, names, phones, addresses): masked for logs and screens,
encrypted at rest, and looked up through keyed hashes.

- Masks (:func:`mask_id`, ...) and :func:`scrub` for what people read.
- Keyed pseudonyms (:func:`pseudonym`, keyed by ``CBEC_PSEUDONYM_KEY``): stable,
  non-reversible stand-ins for identities in the risk aggregates and the identity graph,
  and the blind index (:func:`blind_id`) through which stored rows are found by ID number.
- Encryption at rest (:func:`seal` / :func:`unseal`, AES-256-GCM): the current key
  (``CBEC_PII_KEY``) seals what is written; earlier keys (``CBEC_PII_OLD_KEYS``) still open
  what they sealed until ``cbec pii rotate`` has sealed it again under the current key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cbec.errors import CbecError


def mask_id(value: str | None) -> str:
    """Keep the first 3 and last 2 characters: ``110105********123X`` -> ``110*************3X``."""
    if not value:
        return ""
    if len(value) <= 5:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def mask_name(value: str | None) -> str:
    """Keep the first character of a name: ``张三丰`` -> ``张**``."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)


def mask_phone(value: str | None) -> str:
    """Keep the first 3 and last 4 digits: ``13812345678`` -> ``138****5678``."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_address(value: str | None) -> str:
    """Keep the first 6 characters (province and city), mask the rest."""
    if not value:
        return ""
    keep = min(6, len(value) // 2)
    return value[:keep] + "*" * (len(value) - keep)


_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def scrub(text: str) -> str:
    """Mask resident ID numbers and mobile numbers wherever they occur in free text."""
    text = _ID_RE.sub(lambda m: m.group(1)[:3] + "*" * 13 + m.group(3)[-2:], text)
    return _PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


class MaskingFilter(logging.Filter):
    """A logging filter that scrubs ID numbers and phones from every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = scrub(message)
        if scrubbed != message:
            record.msg = scrubbed
            record.args = None
        return True


def configure_logging(level: str = "INFO") -> None:
    """Log to stderr through the masking filter."""
    logger = logging.getLogger("cbec")
    if not any(isinstance(f, MaskingFilter) for f in logger.filters):
        logger.addFilter(MaskingFilter())
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        handler.addFilter(MaskingFilter())
        logger.addHandler(handler)
    logger.setLevel(level)


# -- keyed pseudonyms and the blind index -------------------------------------------------


@dataclass(slots=True)
class _PseudonymKey:
    """The key of the pseudonyms (a keyed hash: without it, nobody can tell whose ID
    number a pseudonym stands for by hashing candidate numbers)."""

    key: bytes = hashlib.sha256(b"cbec-development-only").digest()
    #: called when the key changes (caches of pseudonyms must be dropped)
    watchers: list[Callable[[], None]] = field(default_factory=list)


_PSEUDONYMS = _PseudonymKey()


def use_pseudonym_key(secret: str) -> None:
    """Key every pseudonym of this process with ``secret`` (``CBEC_PSEUDONYM_KEY``; the
    assembly sets it at start-up). The risk aggregates, the identity graph and the blind
    indexes of stored rows are keyed by pseudonyms: changing the key orphans them until
    they are rebuilt."""
    key = hashlib.sha256(secret.encode()).digest()
    if key != _PSEUDONYMS.key:
        _PSEUDONYMS.key = key
        for drop in _PSEUDONYMS.watchers:
            drop()


def on_pseudonym_key_change(drop: Callable[[], None]) -> None:
    """Call ``drop`` whenever the key changes (for caches of pseudonyms)."""
    _PSEUDONYMS.watchers.append(drop)


def pseudonym(kind: str, value: str) -> str:
    """A stable, non-reversible stand-in for an identity: a keyed BLAKE2b digest of the
    kind and the value.

    >>> pseudonym("buyer", "11010519491231002X") == pseudonym("buyer", "11010519491231002X")
    True
    >>> len(pseudonym("buyer", "x"))
    24
    """
    return hashlib.blake2b(
        f"{kind}|{value}".encode(), digest_size=12, key=_PSEUDONYMS.key
    ).hexdigest()


def pseudonym_key_check() -> str:
    """The check digest of this process's pseudonym key: a pseudonym of a fixed text, so
    that a store can tell whether a process holds the key its blind indexes and risk
    aggregates were made with (:mod:`cbec.store.keys`) without learning anything of it."""
    return pseudonym("key-check", "cbec pseudonym key")


#: Length of a blind index value (the pseudonym's hex digest).
BLIND_LENGTH = 24


def blind_id(id_number: str) -> str:
    """The blind index of a resident ID number: the pseudonym the risk aggregates use for
    it, of the number as written on the card (trimmed, ``x`` as ``X``), so that stored
    rows are found by ID number without keeping it in clear.

    >>> blind_id(" 11010519491231002x") == blind_id("11010519491231002X")
    True
    """
    return pseudonym("identity", id_number.strip().upper())


def proof_key(id_number: str, name: str, phone: str) -> str:
    """The blind index of who a list names as its buyer: the ID number (as
    :func:`blind_id` takes it) with the name and phone exactly as the list carries them.
    A consumer proves an identity by a stored list with the same key, found in one lookup
    without the name and phone kept in clear.

    >>> proof_key("11010519491231002x", "张伟", "13812345678") == proof_key(
    ...     "11010519491231002X", "张伟", "13812345678"
    ... )
    True
    >>> proof_key("11010519491231002X", "张伟", "13812345678") == proof_key(
    ...     "11010519491231002X", "张伟", "13812345679"
    ... )
    False
    """
    return pseudonym(
        "identity-proof", json.dumps([id_number.strip().upper(), name, phone], ensure_ascii=False)
    )


def province_of(id_number: str) -> str:
    """The province code of a resident ID number (its first two digits, where the card
    was issued: not personal data on its own), or ``""``.

    >>> province_of("11010519491231002X"), province_of("X1")
    ('11', '')
    """
    head = id_number.strip()[:2]
    return head if len(head) == 2 and head.isdigit() else ""


# -- encryption at rest ----------------------------------------------------------------


class PiiKeyError(CbecError):
    """A sealed value that no configured key opens (a key removed too early, or altered
    data)."""

    status_code = 500
    kind = "pii_key"


#: Sealed text: ``<key id, 8 hex>$<base64 of nonce | ciphertext | tag>``.
_TEXT_MARK = "$"
#: Sealed bytes: this marker, the 4-byte key id, the 12-byte nonce, ciphertext and tag.
_BYTES_MARK = b"\xc0\xbe"
_NONCE = 12


@dataclass(frozen=True, slots=True)
class PiiKey:
    """One data key: its id (from the secret) and its AES-256-GCM cipher."""

    id: str
    cipher: AESGCM

    @classmethod
    def of(cls, secret: str) -> PiiKey:
        secret = secret.strip()
        if not secret:
            raise PiiKeyError("a personal-data key is empty (CBEC_PII_KEY, CBEC_PII_OLD_KEYS)")
        material = hashlib.sha256(b"cbec-pii-key|" + secret.encode()).digest()
        key_id = hashlib.sha256(b"cbec-pii-key-id|" + secret.encode()).hexdigest()[:8]
        return cls(key_id, AESGCM(material))


@dataclass(slots=True)
class _KeyRing:
    current: PiiKey
    by_id: dict[str, PiiKey]


def _ring(current: str, old: Iterable[str] = ()) -> _KeyRing:
    key = PiiKey.of(current)
    by_id = {k.id: k for k in (PiiKey.of(s) for s in old if s.strip())}
    by_id[key.id] = key
    return _KeyRing(key, by_id)


DEVELOPMENT_PII_KEY = "cbec-development-only-pii"
_KEYS = _ring(DEVELOPMENT_PII_KEY)


def use_pii_keys(current: str, old: Iterable[str] = ()) -> None:
    """Seal with ``current`` (``CBEC_PII_KEY``) from now on, and open what ``current`` or
    any of ``old`` (``CBEC_PII_OLD_KEYS``) sealed (the assembly sets them at start-up)."""
    global _KEYS
    _KEYS = _ring(current, old)


def split_keys(text: str) -> list[str]:
    """Keys given in one setting, comma-separated."""
    return [k.strip() for k in text.split(",") if k.strip()]


def current_key_id() -> str:
    """The id of the key new values are sealed with."""
    return _KEYS.current.id


def _key(key_id: str) -> PiiKey:
    found = _KEYS.by_id.get(key_id)
    if found is None:
        raise PiiKeyError(
            f"personal data sealed with key {key_id!r}, which is not configured: "
            "list its secret in CBEC_PII_OLD_KEYS (and run `cbec pii rotate`)"
        )
    return found


def seal(text: str) -> str:
    """``text`` encrypted under the current key (a fresh nonce each time)."""
    key = _KEYS.current
    nonce = os.urandom(_NONCE)
    sealed = key.cipher.encrypt(nonce, text.encode(), None)
    return key.id + _TEXT_MARK + base64.b64encode(nonce + sealed).decode("ascii")


def is_sealed(value: str) -> bool:
    """Whether ``value`` has the form of sealed text (not whether a key opens it)."""
    return len(value) > 9 and value[8] == _TEXT_MARK


def key_id_of(value: str | bytes) -> str:
    """The id of the key that sealed ``value`` (text or bytes)."""
    if isinstance(value, bytes):
        return value[2:6].hex()
    return value[:8]


def unseal(value: str) -> str:
    """The text ``value`` was sealed from."""
    if not is_sealed(value):
        raise PiiKeyError("a personal-data column holds a value that is not sealed")
    raw = base64.b64decode(value[9:])
    try:
        return _key(value[:8]).cipher.decrypt(raw[:_NONCE], raw[_NONCE:], None).decode()
    except InvalidTag:
        raise PiiKeyError(f"a value sealed with key {value[:8]!r} does not open") from None


def seal_bytes(data: bytes) -> bytes:
    """``data`` encrypted under the current key."""
    key = _KEYS.current
    nonce = os.urandom(_NONCE)
    return _BYTES_MARK + bytes.fromhex(key.id) + nonce + key.cipher.encrypt(nonce, data, None)


def unseal_bytes(value: bytes) -> bytes:
    """The bytes ``value`` was sealed from."""
    if value[:2] != _BYTES_MARK or len(value) < 6 + _NONCE:
        raise PiiKeyError("a personal-data column holds bytes that are not sealed")
    key_id = value[2:6].hex()
    try:
        return _key(key_id).cipher.decrypt(value[6 : 6 + _NONCE], value[6 + _NONCE :], None)
    except InvalidTag:
        raise PiiKeyError(f"bytes sealed with key {key_id!r} do not open") from None
