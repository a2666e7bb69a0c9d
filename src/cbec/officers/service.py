"""Officer accounts: create, deactivate, set roles, change passwords; log in and out.

The rules are checked here, once, for the API and the CLI: a username is 2 to 64
characters of ``a-z 0-9 . _ -`` starting with a letter, a name has 1 to 200 characters,
an officer holds at least one :class:`~cbec.officers.roles.Role`, a password has 12 to
256 characters, and at least one active administrator always remains. Every change to an
account is recorded in the audit log against whoever made it. Services flush, never
commit: the caller (a route, a CLI command) commits.

A login issues a session token ``cbo_<token id>_<secret>``, shown once: only the SHA-256
of the secret is kept (a fast hash is right for a 256-bit random secret; the password is
what needs argon2). A token works until it expires, is revoked by logout, or its officer
is deactivated.

Failed logins are counted per username, in the store (every API process and the pages
share the count), whether or not an officer has the username: after
:attr:`SignInLimit.attempts` in a row, logins under it are refused with
:class:`TooManyRequests` until :attr:`SignInLimit.lock` has passed, the same answer for
every username. Each failure and each lock is written to the audit log, never the
password tried. The caller commits a refused login too, so that it counts.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.audit.service import Actor
from cbec.config import Settings
from cbec.errors import (
    Conflict,
    FieldError,
    NotFound,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)
from cbec.officers import passwords, repository
from cbec.officers.roles import Role
from cbec.store.models import (
    Officer,
    OfficerRole,
    OfficerSession,
    OfficerSignInFailures,
    utcnow,
)

TOKEN_PREFIX = "cbo"  # noqa: S105 - the public prefix of session tokens
USERNAME_MAX = 64
NAME_MAX = 200
PASSWORD_MIN = 12
PASSWORD_MAX = 256
_USERNAME = re.compile(r"[a-z][a-z0-9._-]{1,63}")

#: Rule names reported in :class:`FieldError`.
RULE_USERNAME = "pattern=[a-z][a-z0-9._-]{1,63}"
RULE_REQUIRED = "required"
RULE_NAME_MAX = f"maxLength={NAME_MAX}"
RULE_MIN_ONE = "minOccurs=1"
RULE_ROLE = "enumeration=" + "|".join(Role)
RULE_PASSWORD = f"length={PASSWORD_MIN}..{PASSWORD_MAX}"
RULE_UNIQUE = "unique"
RULE_LAST_ADMIN = "last-active-administrator"

#: Subject kind of officer accounts in the audit log.
SUBJECT = "officer"
#: Who failed logins are recorded against in the audit log (the caller is nobody known).
SIGN_IN = Actor.system("officers.login")
_BAD_LOGIN = "wrong username or password"
_SESSION_REFUSED = "unknown, expired or revoked officer session"


# --- the rules ----------------------------------------------------------------------------


def check_username(username: str, path: str = "username") -> list[FieldError]:
    """Problems with a username (none: it is well formed)."""
    if _USERNAME.fullmatch(username):
        return []
    return [
        FieldError(
            path,
            RULE_USERNAME,
            f"username {username!r} must be 2 to {USERNAME_MAX} characters of a-z, 0-9, "
            "'.', '_' and '-', starting with a letter",
        )
    ]


def check_name(name: str, path: str = "name") -> list[FieldError]:
    """Problems with an officer's full name (surrounding blanks are not counted)."""
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
        return [], [FieldError(path, RULE_MIN_ONE, "an officer holds at least one role")]
    known = {r.value for r in Role}
    errors = [
        FieldError(f"{path}[{i}]", RULE_ROLE, f"{role!r} is not a role; one of {', '.join(Role)}")
        for i, role in enumerate(roles)
        if role not in known
    ]
    return sorted(set(roles)), errors


def check_password(password: str, path: str = "password") -> list[FieldError]:
    """Problems with a new password (its length: a long passphrase beats rules on symbols)."""
    if PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        return []
    return [
        FieldError(
            path,
            RULE_PASSWORD,
            f"password must have {PASSWORD_MIN} to {PASSWORD_MAX} characters, got {len(password)}",
        )
    ]


def _raise(errors: list[FieldError], what: str) -> None:
    if errors:
        raise ValidationFailed(f"invalid {what}", fields=errors)


def _record(
    session: Session,
    by: Actor,
    action: str,
    officer: Officer | str,
    *,
    reason: str | None = None,
    details: dict[str, object] | None = None,
) -> None:
    """Audit ``action`` on ``officer`` (an account, or a username no account may have)."""
    audit.record(
        session,
        actor_kind=by.kind,
        actor=by.name,
        action=f"{SUBJECT}.{action}",
        subject_kind=SUBJECT,
        subject_key=officer if isinstance(officer, str) else officer.username,
        reason=reason,
        details=details,
    )


# --- accounts -----------------------------------------------------------------------------


def get_by_username(session: Session, username: str) -> Officer:
    """The officer with ``username`` (:class:`NotFound` otherwise)."""
    officer = repository.by_username(session, username)
    if officer is None:
        raise NotFound(f"no officer has username {username!r}")
    return officer


def list_officers(session: Session, *, active: bool | None = None) -> Sequence[Officer]:
    """Officers by username; only active (or only inactive) ones if ``active`` is given."""
    return repository.search(session, active=active)


def create_officer(
    session: Session,
    *,
    username: str,
    name: str,
    roles: Sequence[str],
    password: str,
    by: Actor,
) -> Officer:
    """Open an account: active, with ``roles``, and ``password`` hashed with argon2id.

    :class:`ValidationFailed` names each field and rule broken; :class:`Conflict` if the
    username is taken.
    """
    role_names, role_errors = check_roles(roles)
    _raise(
        check_username(username) + check_name(name) + role_errors + check_password(password),
        "officer",
    )
    if repository.by_username(session, username) is not None:
        raise Conflict(
            f"username {username!r} is taken",
            fields=[FieldError("username", RULE_UNIQUE, f"username {username!r} is taken")],
        )
    officer = Officer(
        username=username,
        name=name.strip(),
        password_hash=passwords.hash_password(password),
        active=True,
        roles=[OfficerRole(role=r) for r in role_names],
    )
    session.add(officer)
    try:
        session.flush()
    except IntegrityError:
        # Another request created the same username between our check and now.
        raise Conflict(f"username {username!r} is taken") from None
    _record(session, by, "create", officer, details={"name": officer.name, "roles": role_names})
    return officer


def _keep_an_administrator(session: Session, officer: Officer) -> None:
    if Role.ADMINISTRATOR.value not in officer.role_names or not officer.active:
        return
    if repository.active_administrators(session, other_than=officer.id) == 0:
        raise Conflict(
            f"{officer.username!r} is the last active administrator: appoint another first",
            fields=[
                FieldError(
                    "username", RULE_LAST_ADMIN, "at least one active administrator must remain"
                )
            ],
        )


def deactivate(session: Session, username: str, *, by: Actor, reason: str | None = None) -> Officer:
    """Close an account: its sessions are revoked and it can no longer log in.
    Deactivating an inactive officer changes nothing (and records nothing)."""
    officer = get_by_username(session, username)
    if not officer.active:
        return officer
    _keep_an_administrator(session, officer)
    officer.active = False
    revoked = _revoke_sessions(session, officer)
    session.flush()
    _record(session, by, "deactivate", officer, reason=reason, details={"sessionsRevoked": revoked})
    return officer


def set_roles(session: Session, username: str, roles: Sequence[str], *, by: Actor) -> Officer:
    """Replace the roles of an officer with ``roles`` (at least one)."""
    role_names, errors = check_roles(roles)
    _raise(errors, "roles")
    officer = get_by_username(session, username)
    before = officer.role_names
    if before == role_names:
        return officer
    if Role.ADMINISTRATOR.value not in role_names:
        _keep_an_administrator(session, officer)
    officer.roles = [OfficerRole(role=r) for r in role_names]
    session.flush()
    _record(session, by, "roles", officer, details={"before": before, "after": role_names})
    return officer


def change_password(
    session: Session,
    username: str,
    new_password: str,
    *,
    by: Actor,
    current_password: str | None = None,
    keep_token_id: str | None = None,
) -> Officer:
    """Set a new password; every login session of the officer ends, except the one whose
    token id is ``keep_token_id`` (the one asking, when officers change their own).

    With ``current_password`` (an officer changing their own), it must be right
    (:class:`Unauthorized` otherwise); without it, this is a reset by an administrator.
    """
    _raise(check_password(new_password, "newPassword"), "password")
    officer = get_by_username(session, username)
    if current_password is not None and not passwords.check_password(
        officer.password_hash, current_password
    ):
        raise Unauthorized("the current password is wrong")
    officer.password_hash = passwords.hash_password(new_password)
    revoked = _revoke_sessions(session, officer, keep_token_id=keep_token_id)
    session.flush()
    _record(
        session,
        by,
        "password",
        officer,
        details={"reset": current_password is None, "sessionsRevoked": revoked},
    )
    return officer


# --- sessions -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedSession:
    """A new login: ``token`` is shown to the officer once and never stored."""

    officer: Officer
    token: str
    token_id: str
    expires_at: datetime


def _hash(secret: str) -> str:
    # A secret that is not ASCII was not issued here; "?" never occurs in an issued one.
    return hashlib.sha256(secret.encode("ascii", "replace")).hexdigest()


def _revoke_sessions(
    session: Session, officer: Officer, *, keep_token_id: str | None = None
) -> int:
    now = utcnow()
    revoked = 0
    for row in repository.live_sessions(session, officer.id):
        if row.token_id != keep_token_id:
            row.revoked_at = now
            revoked += 1
    return revoked


@dataclass(frozen=True, slots=True)
class SignInLimit:
    """Logins under a username are refused for ``lock`` after ``attempts`` failed in a
    row."""

    attempts: int
    lock: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> SignInLimit:
        return cls(
            attempts=settings.officer_signin_attempts,
            lock=timedelta(seconds=settings.officer_signin_lock_seconds),
        )


def _refuse_if_locked(failures: OfficerSignInFailures | None, username: str, now: datetime) -> None:
    """:class:`TooManyRequests` while logins under ``username`` are locked out."""
    if failures is None or failures.locked_until is None or now >= failures.locked_until:
        return
    wait = math.ceil((failures.locked_until - now).total_seconds())
    raise TooManyRequests(
        f"too many failed logins as {username!r}: try again in {wait} s", retry_after=wait
    )


def _failed(
    session: Session,
    failures: OfficerSignInFailures,
    limit: SignInLimit,
    now: datetime,
    client: str | None,
) -> None:
    """Count a failed login, lock the username at ``limit.attempts``, and say both in the
    audit log (the username and where from; never the password tried)."""
    failures.failures += 1
    failures.last_failed_at = now
    if failures.failures >= limit.attempts:
        failures.locked_until = now + limit.lock
    session.flush()
    where = {"client": client} if client else {}
    _record(
        session,
        SIGN_IN,
        "login_failed",
        failures.username,
        details={"failures": failures.failures, **where},
    )
    if failures.locked_until is not None:
        _record(
            session,
            SIGN_IN,
            "login_locked",
            failures.username,
            details={"failures": failures.failures, "lockedUntil": failures.locked_until, **where},
        )


def login(
    session: Session,
    username: str,
    password: str,
    *,
    lifetime: timedelta,
    limit: SignInLimit,
    client: str | None = None,
) -> IssuedSession:
    """Check the password and open a session that lasts ``lifetime``.

    :class:`Unauthorized` for an unknown username or a wrong password (the same answer,
    in about the same time), and for a deactivated account (said only to whoever knows
    its password). After ``limit.attempts`` failures in a row under the username,
    :class:`TooManyRequests` (its ``retry_after`` the seconds left) until ``limit.lock``
    has passed, whatever the password, whether or not an officer has the username.
    Failures are flushed and recorded against ``client`` (the caller's address) in the
    audit log: commit them when this raises.
    """
    if check_username(username):
        # No officer can have it (and it may not fit the count's column): nothing to count.
        passwords.burn(password)
        raise Unauthorized(_BAD_LOGIN)
    _refuse_if_locked(repository.signin_failures_of(session, username), username, utcnow())
    officer = repository.by_username(session, username)
    if officer is None:
        passwords.burn(password)
    right = officer is not None and passwords.check_password(officer.password_hash, password)
    # Counted one login at a time per username, after the (slow) password check, so that
    # no lock is held while it runs; a login locked out meanwhile is refused whatever its
    # password: attempts sent at once learn no more than as many sent one after another.
    now = utcnow()
    failures = repository.signin_failures(session, username)
    if failures.locked_until is not None and now >= failures.locked_until:
        failures.failures, failures.locked_until = 0, None  # the lock is over: start again
    _refuse_if_locked(failures, username, now)
    if officer is None or not right:
        _failed(session, failures, limit, now, client)
        raise Unauthorized(_BAD_LOGIN)
    failures.failures = 0
    if not officer.active:
        raise Unauthorized(f"officer account {username!r} is deactivated")
    if passwords.needs_rehash(officer.password_hash):
        officer.password_hash = passwords.hash_password(password)
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    row = OfficerSession(
        token_id=token_id,
        secret_hash=_hash(secret),
        officer_id=officer.id,
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    session.flush()
    _record(
        session,
        Actor.officer(officer.username),
        "login",
        officer,
        details={"tokenId": token_id, "expiresAt": row.expires_at},
    )
    return IssuedSession(
        officer=officer,
        token=f"{TOKEN_PREFIX}_{token_id}_{secret}",
        token_id=token_id,
        expires_at=row.expires_at,
    )


def authenticate_session(
    session: Session, token: str, *, now: datetime | None = None
) -> OfficerSession:
    """The live login session ``token`` opens (:class:`Unauthorized` if it is malformed,
    unknown, wrong, expired or revoked, or its officer is deactivated)."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        raise Unauthorized(
            f"malformed officer session token: expected {TOKEN_PREFIX}_<id>_<secret>"
        )
    _, token_id, secret = parts
    row = repository.session_by_token_id(session, token_id)
    if row is None or row.revoked_at is not None:
        raise Unauthorized(_SESSION_REFUSED)
    if not hmac.compare_digest(_hash(secret), row.secret_hash):
        raise Unauthorized(_SESSION_REFUSED)
    if (now or utcnow()) >= row.expires_at:
        raise Unauthorized(_SESSION_REFUSED)
    officer = session.get(Officer, row.officer_id)
    if officer is None or not officer.active:
        raise Unauthorized(_SESSION_REFUSED)
    return row


def authenticate(session: Session, token: str, *, now: datetime | None = None) -> Officer:
    """The officer whose live session ``token`` opens (see :func:`authenticate_session`)."""
    row = authenticate_session(session, token, now=now)
    officer = session.get(Officer, row.officer_id)
    assert officer is not None  # checked by authenticate_session
    return officer


def logout(session: Session, token: str) -> Officer:
    """End the session ``token`` opens; the token is refused from now on."""
    row = authenticate_session(session, token)
    officer = session.get(Officer, row.officer_id)
    assert officer is not None  # checked by authenticate_session
    row.revoked_at = utcnow()
    session.flush()
    _record(
        session,
        Actor.officer(officer.username),
        "logout",
        officer,
        details={"tokenId": row.token_id},
    )
    return officer
