"""Enterprise filing: file, amend, suspend, reinstate, revoke; API keys; registry import.

The registry's rules are checked here, once, for the API, the CLI and the file import:
a customs code is exactly 10 characters of 0-9 and A-Z, a USCC passes
``stdnum.cn.uscc`` (GB 32100 check digit), a name has 1 to 200 characters, an enterprise
holds at least one :class:`~cbec.registry.roles.Role`, and neither code nor USCC is filed
twice. Revocation is final. Services flush, never commit: the caller (a route, a CLI
command) commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from stdnum.cn import uscc as stdnum_uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError

from cbec.errors import BadRequest, Conflict, FieldError, NotFound, ValidationFailed
from cbec.messages import signature
from cbec.registry import credentials, repository
from cbec.registry.credentials import IssuedKey
from cbec.registry.roles import Role, Status
from cbec.registry.schemas import (
    REGISTRY_FORMAT,
    EnterpriseAmend,
    EnterpriseFiling,
    RegistryEntry,
    SignatureKeyFiling,
    beijing_today,
    field_errors,
)
from cbec.store.models import ApiCredential, Enterprise, EnterpriseRole, utcnow
from cbec.store.models.enterprise import SignatureKey

CODE_LENGTH = 10
NAME_MAX = 200
_CODE_CHARS = re.compile(r"[0-9A-Z]*")

#: Rule names reported in :class:`FieldError` (XSD-like, as the message codec reports).
RULE_CODE_LENGTH = f"length={CODE_LENGTH}"
RULE_CODE_PATTERN = "pattern=[0-9A-Z]{10}"
RULE_USCC = "stdnum.cn.uscc"
RULE_REQUIRED = "required"
RULE_MIN_ONE = "minOccurs=1"
RULE_NAME_MAX = f"maxLength={NAME_MAX}"
RULE_ROLE = "enumeration=" + "|".join(Role)
RULE_STATUS = "enumeration=" + "|".join(Status)
RULE_UNIQUE = "unique"
RULE_REVOKED = "revoked-is-final"
SIGNATURE_POLICIES = ("off", "warn", "enforce")
RULE_POLICY = "enumeration=" + "|".join(SIGNATURE_POLICIES)
RULE_ALGORITHM = "enumeration=" + "|".join(signature.ALGORITHMS)
RULE_PUBLIC_KEY = "public-key"
RULE_KEY_NAME = "maxLength=64"

#: Status reason recorded when a registry file sets a status without giving one.
IMPORT_REASON = "set by registry import"


# --- the registry's rules -----------------------------------------------------------------


def check_customs_code(code: str, path: str = "customsCode") -> list[FieldError]:
    """Problems with a customs registration code (none: it is well formed)."""
    if len(code) != CODE_LENGTH:
        return [
            FieldError(
                path,
                RULE_CODE_LENGTH,
                f"customs code must be exactly {CODE_LENGTH} characters, got {len(code)}",
            )
        ]
    if not _CODE_CHARS.fullmatch(code):
        return [
            FieldError(path, RULE_CODE_PATTERN, f"customs code {code!r} may hold only 0-9 and A-Z")
        ]
    return []


def check_uscc(value: str, path: str = "uscc") -> tuple[str, list[FieldError]]:
    """The USCC in its compact form, and its problems (none: it is valid)."""
    try:
        return stdnum_uscc.validate(value), []
    except InvalidLength:
        message = f"USCC must be 18 characters, got {len(stdnum_uscc.compact(value))}"
    except InvalidFormat:
        message = "USCC must be 8 digits then 10 characters of 0-9 and A-Z without I, O, S, V, Z"
    except InvalidChecksum:
        message = f"USCC {value!r} fails its check digit (GB 32100)"
    except ValidationError:  # pragma: no cover - stdnum raises one of the three above
        message = f"USCC {value!r} is not valid"
    return value, [FieldError(path, RULE_USCC, message)]


def check_name(name: str, path: str = "name") -> list[FieldError]:
    """Problems with a registered name (surrounding blanks are not counted)."""
    name = name.strip()
    if not name:
        return [FieldError(path, RULE_REQUIRED, "name must not be empty")]
    if len(name) > NAME_MAX:
        return [
            FieldError(path, RULE_NAME_MAX, f"name has {len(name)} characters, at most {NAME_MAX}")
        ]
    return []


def check_roles(roles: Sequence[str], path: str = "roles") -> tuple[list[str], list[FieldError]]:
    """The roles sorted without repeats, and their problems (none: all are roles)."""
    if not roles:
        return [], [FieldError(path, RULE_MIN_ONE, "an enterprise holds at least one role")]
    errors = [e for i, role in enumerate(roles) for e in check_role(role, f"{path}[{i}]")]
    return sorted(set(roles)), errors


def check_role(role: str, path: str = "role") -> list[FieldError]:
    """Problems with one role name."""
    if role in {r.value for r in Role}:
        return []
    return [FieldError(path, RULE_ROLE, f"{role!r} is not a role; one of {', '.join(Role)}")]


def check_status(status: str, path: str = "status") -> list[FieldError]:
    """Problems with an enterprise status."""
    if status in {s.value for s in Status}:
        return []
    return [
        FieldError(path, RULE_STATUS, f"{status!r} is not a status; one of {', '.join(Status)}")
    ]


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(
            "a reason is required",
            fields=[FieldError("reason", RULE_REQUIRED, "reason must not be empty")],
        )
    return reason


def _invalid(what: str, errors: list[FieldError]) -> ValidationFailed:
    return ValidationFailed(f"{what}: " + "; ".join(str(e) for e in errors), fields=errors)


# --- reading ------------------------------------------------------------------------------


def get_by_code(session: Session, customs_code: str) -> Enterprise:
    """The enterprise filed under ``customs_code``; :class:`NotFound` if there is none."""
    enterprise = repository.by_code(session, customs_code)
    if enterprise is None:
        raise NotFound(f"no enterprise is filed under customs code {customs_code}")
    return enterprise


def set_rates(
    session: Session,
    customs_code: str,
    *,
    review: Decimal | None,
    inspection: Decimal | None,
) -> Enterprise:
    """Set an enterprise's own manual-review and inspection rates (shares, 0..1); None
    returns it to the defaults. Its portrait class will set these; an administrator can
    adjust them at once (the seeds' "emergency adjustment")."""
    errors = [
        FieldError(name, "range=0..1", f"{value} is not a share between 0 and 1")
        for name, value in (("review", review), ("inspection", inspection))
        # NaN first: it compares with nothing (a signalling one raises InvalidOperation)
        if value is not None and (value.is_nan() or not Decimal(0) <= value <= Decimal(1))
    ]
    if errors:
        raise ValidationFailed("rates out of range", fields=errors)
    enterprise = get_by_code(session, customs_code)
    enterprise.review_rate = review
    enterprise.inspection_rate = inspection
    session.flush()
    return enterprise


def list_enterprises(
    session: Session,
    *,
    role: str | None = None,
    status: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> Sequence[Enterprise]:
    """Filed enterprises, by customs code, optionally only those holding ``role`` and/or
    in ``status``."""
    errors: list[FieldError] = []
    if role is not None:
        errors += check_role(role)
    if status is not None:
        errors += check_status(status)
    if errors:
        raise _invalid("bad filter", errors)
    return repository.search(session, role=role, status=status, limit=limit, offset=offset)


def list_keys(session: Session, customs_code: str) -> Sequence[ApiCredential]:
    """Every API key of an enterprise (ids and dates; secrets are never kept)."""
    return repository.keys_of(session, get_by_code(session, customs_code).id)


# --- filing and amending ------------------------------------------------------------------


def _ensure_unique(
    session: Session, *, customs_code: str | None, uscc: str | None, exclude_id: int | None = None
) -> None:
    if customs_code is not None:
        holder = repository.by_code(session, customs_code)
        if holder is not None:
            message = f"customs code {customs_code} is already filed ({holder.name})"
            raise Conflict(message, fields=[FieldError("customsCode", RULE_UNIQUE, message)])
    if uscc is not None:
        holder = repository.by_uscc(session, uscc)
        if holder is not None and holder.id != exclude_id:
            message = f"USCC {uscc} is already filed under customs code {holder.customs_code}"
            raise Conflict(message, fields=[FieldError("uscc", RULE_UNIQUE, message)])


def _flush(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError:
        # Another filing with the same code or USCC committed between our check and now.
        raise Conflict(
            "the customs code or USCC was filed at the same time by another request"
        ) from None


def _new_enterprise(
    *,
    customs_code: str,
    uscc: str,
    name: str,
    roles: Iterable[str],
    filing_date: date,
    status: str = Status.ACTIVE,
    status_reason: str | None = None,
) -> Enterprise:
    return Enterprise(
        customs_code=customs_code,
        uscc=uscc,
        name=name.strip(),
        status=status,
        status_reason=status_reason,
        filing_date=filing_date,
        roles=[EnterpriseRole(role=r) for r in sorted(set(roles))],
    )


def _set_roles(enterprise: Enterprise, roles: Iterable[str]) -> None:
    # Change only what differs: deleting and re-adding the same (enterprise, role) row in
    # one flush would collide on the primary key.
    wanted = set(roles)
    for held in [r for r in enterprise.roles if r.role not in wanted]:
        enterprise.roles.remove(held)
    for role in sorted(wanted - {r.role for r in enterprise.roles}):
        enterprise.roles.append(EnterpriseRole(role=role))


def file_enterprise(session: Session, filing: EnterpriseFiling) -> tuple[Enterprise, IssuedKey]:
    """File a new enterprise (status active) and issue its first API key.

    Raises :class:`ValidationFailed` naming each bad field and rule, and
    :class:`Conflict` naming the customs code or USCC that is already filed.
    """
    uscc, errors = check_uscc(filing.uscc)
    errors = check_customs_code(filing.customs_code) + errors + check_name(filing.name)
    roles, role_errors = check_roles(filing.roles)
    errors += role_errors
    if errors:
        raise _invalid("the filing is invalid", errors)
    _ensure_unique(session, customs_code=filing.customs_code, uscc=uscc)
    enterprise = _new_enterprise(
        customs_code=filing.customs_code,
        uscc=uscc,
        name=filing.name,
        roles=roles,
        filing_date=filing.filing_date,
    )
    session.add(enterprise)
    _flush(session)
    return enterprise, credentials.issue_key(session, enterprise)


def _not_revoked(enterprise: Enterprise, action: str) -> None:
    if enterprise.status == Status.REVOKED:
        raise Conflict(
            f"{enterprise.customs_code} is revoked and cannot be {action}: revocation is final"
        )


def amend(session: Session, customs_code: str, changes: EnterpriseAmend) -> Enterprise:
    """Change the name, USCC and/or roles of a filed (not revoked) enterprise.

    ``roles``, when given, is the complete new set.
    """
    enterprise = get_by_code(session, customs_code)
    _not_revoked(enterprise, "amended")
    if changes.name is None and changes.uscc is None and changes.roles is None:
        raise BadRequest("nothing to amend: give a new name, uscc or roles")
    errors: list[FieldError] = []
    uscc: str | None = None
    roles: list[str] | None = None
    if changes.uscc is not None:
        uscc, uscc_errors = check_uscc(changes.uscc)
        errors += uscc_errors
    if changes.name is not None:
        errors += check_name(changes.name)
    if changes.roles is not None:
        roles, role_errors = check_roles(changes.roles)
        errors += role_errors
    if errors:
        raise _invalid("the amendment is invalid", errors)
    if uscc is not None and uscc != enterprise.uscc:
        _ensure_unique(session, customs_code=None, uscc=uscc, exclude_id=enterprise.id)
        enterprise.uscc = uscc
    if changes.name is not None:
        enterprise.name = changes.name.strip()
    if roles is not None:
        _set_roles(enterprise, roles)
    enterprise.updated_at = utcnow()
    _flush(session)
    return enterprise


# --- status -------------------------------------------------------------------------------


def _set_status(enterprise: Enterprise, status: Status, reason: str | None) -> None:
    enterprise.status = status
    enterprise.status_reason = reason
    enterprise.updated_at = utcnow()


def _revoke_live_keys(session: Session, enterprise: Enterprise) -> None:
    now = utcnow()
    for key in repository.live_keys(session, enterprise.id):
        key.revoked_at = now


def suspend(session: Session, customs_code: str, reason: str) -> Enterprise:
    """Suspend an active enterprise; ``reason`` is kept as its status reason.

    Its API keys stay valid (so it can still read its receipts and status); what a
    suspended enterprise may no longer send is for intake to refuse.
    """
    reason = _check_reason(reason)
    enterprise = get_by_code(session, customs_code)
    _not_revoked(enterprise, "suspended")
    if enterprise.status == Status.SUSPENDED:
        raise Conflict(f"{customs_code} is already suspended: {enterprise.status_reason}")
    _set_status(enterprise, Status.SUSPENDED, reason)
    session.flush()
    return enterprise


def reinstate(session: Session, customs_code: str, reason: str | None = None) -> Enterprise:
    """Make a suspended enterprise active again (a revoked one cannot be: :class:`Conflict`)."""
    reason = _check_reason(reason) if reason is not None else None
    enterprise = get_by_code(session, customs_code)
    _not_revoked(enterprise, "reinstated")
    if enterprise.status != Status.SUSPENDED:
        raise Conflict(f"{customs_code} is {enterprise.status}, not suspended")
    _set_status(enterprise, Status.ACTIVE, reason)
    session.flush()
    return enterprise


def revoke(session: Session, customs_code: str, reason: str) -> Enterprise:
    """Revoke a filing for good, and every API key of the enterprise with it."""
    reason = _check_reason(reason)
    enterprise = get_by_code(session, customs_code)
    _not_revoked(enterprise, "revoked again")
    _set_status(enterprise, Status.REVOKED, reason)
    _revoke_live_keys(session, enterprise)
    session.flush()
    return enterprise


# --- API keys -----------------------------------------------------------------------------


def issue_key(session: Session, customs_code: str) -> IssuedKey:
    """A new API key for a filed enterprise (not a revoked one); the token is shown once."""
    enterprise = get_by_code(session, customs_code)
    _not_revoked(enterprise, "given a key")
    return credentials.issue_key(session, enterprise)


def revoke_key(session: Session, customs_code: str, key_id: str) -> ApiCredential:
    """Revoke one API key of an enterprise; revoking a revoked key changes nothing."""
    enterprise = get_by_code(session, customs_code)
    key = repository.key_of(session, enterprise.id, key_id)
    if key is None:
        raise NotFound(f"{customs_code} has no API key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
    return key


# --- signature keys and policy -------------------------------------------------------------


def check_signature_key(filing: SignatureKeyFiling, path: str = "") -> list[FieldError]:
    """The rules of a key filing: known algorithm, a public key of that algorithm, a name of
    1 to 64 printable characters."""
    at = f"{path}." if path else ""
    if filing.algorithm not in signature.ALGORITHMS:
        return [
            FieldError(f"{at}algorithm", RULE_ALGORITHM, f"unknown algorithm {filing.algorithm!r}")
        ]
    errors: list[FieldError] = []
    if filing.key_name is not None and not (
        0 < len(filing.key_name.strip()) <= 64 and filing.key_name.strip().isprintable()
    ):
        errors.append(FieldError(f"{at}keyName", RULE_KEY_NAME, "1 to 64 printable characters"))
    try:
        signature.load_public_key(filing.algorithm, filing.public_key)
    except ValueError as exc:
        errors.append(FieldError(f"{at}publicKey", RULE_PUBLIC_KEY, str(exc)))
    return errors


def _key_name(filing: SignatureKeyFiling) -> str:
    return (filing.key_name or "").strip() or signature.fingerprint(filing.public_key)[:16]


def file_signature_key(
    session: Session, customs_code: str, filing: SignatureKeyFiling
) -> SignatureKey:
    """File a public key for the enterprise's message signatures. Filing the very same key
    under the same name again changes nothing; a name is never reused for another key."""
    enterprise = get_by_code(session, customs_code)
    _not_revoked(enterprise, "given a signature key")
    errors = check_signature_key(filing)
    if errors:
        raise _invalid("bad signature key", errors)
    return _add_signature_key(session, enterprise, filing, "keyName")


def _add_signature_key(
    session: Session, enterprise: Enterprise, filing: SignatureKeyFiling, path: str
) -> SignatureKey:
    name = _key_name(filing)
    print_ = signature.fingerprint(filing.public_key)
    current = repository.signature_key(session, enterprise.id, name)
    if current is not None:
        if current.fingerprint == print_ and current.algorithm == filing.algorithm:
            return current
        message = f"{enterprise.customs_code} already filed another key named {name!r}"
        raise Conflict(message, fields=[FieldError(path, RULE_UNIQUE, message)])
    key = SignatureKey(
        enterprise_id=enterprise.id,
        key_name=name,
        algorithm=filing.algorithm,
        public_key=filing.public_key.strip() + "\n",
        fingerprint=print_,
    )
    session.add(key)
    session.flush()
    return key


def list_signature_keys(session: Session, customs_code: str) -> Sequence[SignatureKey]:
    return repository.signature_keys_of(session, get_by_code(session, customs_code).id)


def revoke_signature_key(session: Session, customs_code: str, key_name: str) -> SignatureKey:
    """Revoke a signature key: messages signed with it no longer verify. Idempotent."""
    enterprise = get_by_code(session, customs_code)
    key = repository.signature_key(session, enterprise.id, key_name)
    if key is None:
        raise NotFound(f"{customs_code} has no signature key {key_name!r}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
    return key


def set_signature_policy(session: Session, customs_code: str, policy: str) -> Enterprise:
    """off / warn / enforce for the signatures of the enterprise's declared messages."""
    if policy not in SIGNATURE_POLICIES:
        raise _invalid(
            "bad signature policy",
            [FieldError("policy", RULE_POLICY, f"{policy!r} is not one of off, warn, enforce")],
        )
    enterprise = get_by_code(session, customs_code)
    enterprise.signature_policy = policy
    enterprise.updated_at = utcnow()
    session.flush()
    return enterprise


# --- registry file import -----------------------------------------------------------------


@dataclass
class ImportSummary:
    """What an import did, by customs code. ``keys`` holds the keys issued now (tokens are
    shown once): one for each newly filed enterprise and each filed one without a live
    key, except revoked ones."""

    filed: list[str] = field(default_factory=list)
    amended: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    keys: dict[str, IssuedKey] = field(default_factory=dict)

    def tokens(self) -> dict[str, str]:
        """``{customsCode: token}`` for the keys issued now (the ``--keys-out`` file)."""
        return {code: key.token for code, key in self.keys.items()}


@dataclass
class _Entry:
    index: int
    entry: RegistryEntry
    uscc: str
    roles: list[str]

    @property
    def path(self) -> str:
        return f"enterprises[{self.index}]"


def _read_entries(enterprises: list[Any]) -> tuple[list[_Entry], list[FieldError]]:
    """Each entry parsed and checked on its own; problems carry the entry's path."""
    entries: list[_Entry] = []
    errors: list[FieldError] = []
    for index, raw in enumerate(enterprises):
        prefix = f"enterprises[{index}]"
        try:
            entry = RegistryEntry.model_validate(raw)
        except PydanticValidationError as exc:
            errors += field_errors(exc, prefix)
            continue
        uscc, entry_errors = check_uscc(entry.uscc, f"{prefix}.uscc")
        entry_errors = (
            check_customs_code(entry.customs_code, f"{prefix}.customsCode") + entry_errors
        )
        entry_errors += check_name(entry.name, f"{prefix}.name")
        roles, role_errors = check_roles(entry.roles, f"{prefix}.roles")
        entry_errors += role_errors + check_status(entry.status, f"{prefix}.status")
        if entry.signature_policy is not None and entry.signature_policy not in SIGNATURE_POLICIES:
            entry_errors.append(
                FieldError(
                    f"{prefix}.signaturePolicy",
                    RULE_POLICY,
                    f"{entry.signature_policy!r} is not one of off, warn, enforce",
                )
            )
        for k, key in enumerate(entry.signature_keys):
            entry_errors += check_signature_key(key, f"{prefix}.signatureKeys[{k}]")
        if entry_errors:
            errors += entry_errors
        else:
            entries.append(_Entry(index, entry, uscc, roles))
    return entries, errors


def _duplicates_in_file(entries: list[_Entry]) -> list[FieldError]:
    errors: list[FieldError] = []
    first_code: dict[str, int] = {}
    first_uscc: dict[str, int] = {}
    for e in entries:
        code = e.entry.customs_code
        if code in first_code:
            errors.append(
                FieldError(
                    f"{e.path}.customsCode",
                    RULE_UNIQUE,
                    f"customs code {code} is also at enterprises[{first_code[code]}]",
                )
            )
        first_code.setdefault(code, e.index)
        if e.uscc in first_uscc:
            errors.append(
                FieldError(
                    f"{e.path}.uscc",
                    RULE_UNIQUE,
                    f"USCC {e.uscc} is also at enterprises[{first_uscc[e.uscc]}]",
                )
            )
        first_uscc.setdefault(e.uscc, e.index)
    return errors


def _changes(e: _Entry, current: Enterprise) -> list[str]:
    """The fields (JSON names) of ``current`` that the file entry changes."""
    changed: list[str] = []
    if e.uscc != current.uscc:
        changed.append("uscc")
    if e.entry.name.strip() != current.name:
        changed.append("name")
    if e.roles != current.role_names:
        changed.append("roles")
    if e.entry.filing_date is not None and e.entry.filing_date != current.filing_date:
        changed.append("filingDate")
    if e.entry.status != current.status:
        changed.append("status")
    if e.entry.status_reason is not None and e.entry.status_reason != current.status_reason:
        changed.append("statusReason")
    if (
        e.entry.signature_policy is not None
        and e.entry.signature_policy != current.signature_policy
    ):
        changed.append("signaturePolicy")
    return changed


def _conflicts_with_store(
    entries: list[_Entry], by_code: dict[str, Enterprise], by_uscc: dict[str, Enterprise]
) -> list[FieldError]:
    errors: list[FieldError] = []
    for e in entries:
        holder = by_uscc.get(e.uscc)
        if holder is not None and holder.customs_code != e.entry.customs_code:
            errors.append(
                FieldError(
                    f"{e.path}.uscc",
                    RULE_UNIQUE,
                    f"USCC {e.uscc} is already filed under customs code {holder.customs_code}",
                )
            )
        current = by_code.get(e.entry.customs_code)
        if current is not None and current.status == Status.REVOKED:
            changed = _changes(e, current)
            if changed:
                errors.append(
                    FieldError(
                        f"{e.path}.{changed[0]}",
                        RULE_REVOKED,
                        f"{current.customs_code} is revoked and cannot change: revocation is final",
                    )
                )
    return errors


def _apply(session: Session, e: _Entry, current: Enterprise) -> bool:
    """Bring a filed enterprise in line with its file entry; whether anything changed."""
    changed = _changes(e, current)
    if not changed:
        return False
    entry = e.entry
    current.uscc = e.uscc
    current.name = entry.name.strip()
    _set_roles(current, e.roles)
    if entry.filing_date is not None:
        current.filing_date = entry.filing_date
    if "status" in changed:
        reason = entry.status_reason
        if reason is None and entry.status != Status.ACTIVE:
            reason = IMPORT_REASON
        current.status = entry.status
        current.status_reason = reason
        if entry.status == Status.REVOKED:
            _revoke_live_keys(session, current)
    elif entry.status_reason is not None:
        current.status_reason = entry.status_reason
    if entry.signature_policy is not None:
        current.signature_policy = entry.signature_policy
    current.updated_at = utcnow()
    return True


def _import_signature_keys(session: Session, e: _Entry, enterprise: Enterprise) -> bool:
    """File the entry's keys not yet filed; whether any was."""
    added = False
    for k, filing in enumerate(e.entry.signature_keys):
        known = repository.signature_key(session, enterprise.id, _key_name(filing))
        _add_signature_key(session, enterprise, filing, f"{e.path}.signatureKeys[{k}].keyName")
        added = added or known is None
    return added


def import_registry(session: Session, document: object) -> ImportSummary:
    """File and amend enterprises from a ``cbec-registry/1`` document (parsed JSON).

    All or nothing: every entry is checked first and, if any is bad,
    :class:`ValidationFailed` lists each problem with its path
    (``enterprises[3].uscc``) and rule, and nothing is written. Importing the same
    document again changes nothing and issues no key, except to an enterprise that has
    no live key. The ``status`` of an entry is applied (revoked stays final); filed
    enterprises the document does not list are left alone. An unknown ``format`` is a
    :class:`BadRequest`.
    """
    if not isinstance(document, dict):
        raise BadRequest(
            f"a registry file is a JSON object with format {REGISTRY_FORMAT!r}",
            fields=[
                FieldError(
                    "(top level)",
                    "type=object",
                    f"a JSON object with format {REGISTRY_FORMAT!r} expected; "
                    f"got {type(document).__name__}",
                )
            ],
        )
    if "format" not in document:
        raise BadRequest(
            f"a registry file names its format {REGISTRY_FORMAT!r}",
            fields=[FieldError("format", RULE_REQUIRED, f"missing; expected {REGISTRY_FORMAT!r}")],
        )
    found = document["format"]
    if found != REGISTRY_FORMAT:
        raise BadRequest(
            f"unknown registry format {found!r}: expected {REGISTRY_FORMAT!r}",
            fields=[
                FieldError(
                    "format",
                    f"enumeration={REGISTRY_FORMAT}",
                    f"unknown format {found!r}; expected {REGISTRY_FORMAT!r}",
                )
            ],
        )
    enterprises = document.get("enterprises")
    if not isinstance(enterprises, list):
        raise ValidationFailed(
            "a registry file lists its enterprises",
            fields=[FieldError("enterprises", RULE_REQUIRED, "enterprises must be a list")],
        )

    entries, errors = _read_entries(enterprises)
    errors += _duplicates_in_file(entries)
    by_code = repository.by_codes(session, (e.entry.customs_code for e in entries))
    by_uscc = repository.by_usccs(session, (e.uscc for e in entries))
    errors += _conflicts_with_store(entries, by_code, by_uscc)
    if errors:
        bad = len({f.path.split(".")[0] for f in errors})
        raise ValidationFailed(
            f"registry file not imported: {len(errors)} problem(s) in {bad} entr"
            + ("y" if bad == 1 else "ies"),
            fields=sorted(errors, key=lambda f: _entry_index(f.path)),
        )

    summary = ImportSummary()
    filed: list[Enterprise] = []
    for e in entries:
        entry = e.entry
        current = by_code.get(entry.customs_code)
        if current is None:
            reason = entry.status_reason
            if reason is None and entry.status != Status.ACTIVE:
                reason = IMPORT_REASON
            current = _new_enterprise(
                customs_code=entry.customs_code,
                uscc=e.uscc,
                name=entry.name,
                roles=e.roles,
                filing_date=entry.filing_date or beijing_today(),
                status=entry.status,
                status_reason=reason,
            )
            current.signature_policy = entry.signature_policy or "off"
            session.add(current)
            summary.filed.append(entry.customs_code)
        elif _apply(session, e, current):
            summary.amended.append(entry.customs_code)
        else:
            summary.unchanged.append(entry.customs_code)
        filed.append(current)
    _flush(session)
    for e, enterprise in zip(entries, filed, strict=True):
        added = bool(e.entry.signature_keys) and _import_signature_keys(session, e, enterprise)
        if added and enterprise.customs_code in summary.unchanged:
            summary.unchanged.remove(enterprise.customs_code)
            summary.amended.append(enterprise.customs_code)

    live = repository.live_key_counts(session, (c.id for c in filed))
    for enterprise in filed:
        if enterprise.status == Status.REVOKED or live.get(enterprise.id, 0) > 0:
            continue
        summary.keys[enterprise.customs_code] = credentials.issue_key(session, enterprise)
    return summary


def _entry_index(path: str) -> int:
    match = re.match(r"enterprises\[(\d+)\]", path)
    return int(match.group(1)) if match else -1
