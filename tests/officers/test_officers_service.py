"""Officer accounts and logins, on each back end: the rules an administrator meets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.errors import Conflict, Unauthorized, ValidationFailed
from cbec.officers import passwords, service
from cbec.officers.service import IssuedSession
from tests.officers.factories import LIMIT, PASSWORD, SETUP, add_officer

HOURS = timedelta(hours=12)


def log_in(session: Session, username: str = "li.wei", password: str = PASSWORD) -> IssuedSession:
    return service.login(session, username, password, lifetime=HOURS, limit=LIMIT)


def test_an_officer_is_stored_with_an_argon2id_hash_never_the_password(session: Session) -> None:
    officer = add_officer(session, "li.wei", "reviewer", "inspector", "reviewer")

    assert officer.role_names == ["inspector", "reviewer"]
    assert officer.active
    assert officer.password_hash.startswith("$argon2id$")
    assert PASSWORD not in officer.password_hash
    [created] = audit.history(session, "officer", "li.wei")
    assert (created.action, created.actor_kind, created.actor) == (
        "officer.create",
        "system",
        "test",
    )


@pytest.mark.parametrize(
    ("fields", "path", "rule"),
    [
        ({"username": "Li Wei"}, "username", "pattern=[a-z][a-z0-9._-]{1,63}"),
        ({"username": "1li"}, "username", "pattern=[a-z][a-z0-9._-]{1,63}"),
        ({"name": "  "}, "name", "required"),
        ({"roles": []}, "roles", "minOccurs=1"),
        ({"roles": ["reviewer", "boss"]}, "roles[1]", "enumeration="),
        ({"password": "short"}, "password", "length=12..256"),
    ],
)
def test_bad_accounts_are_refused_naming_field_and_rule(
    session: Session, fields: dict[str, object], path: str, rule: str
) -> None:
    data: dict[str, object] = {
        "username": "li.wei",
        "name": "李伟",
        "roles": ["reviewer"],
        "password": PASSWORD,
    } | fields
    with pytest.raises(ValidationFailed) as refused:
        service.create_officer(session, by=SETUP, **data)  # type: ignore[arg-type]
    [problem] = refused.value.fields
    assert problem.path == path
    assert problem.rule.startswith(rule)


def test_a_username_is_taken_once(session: Session) -> None:
    add_officer(session, "li.wei")
    with pytest.raises(Conflict, match="taken"):
        add_officer(session, "li.wei", "inspector")


def test_login_with_the_right_password_opens_a_session(session: Session) -> None:
    officer = add_officer(session)

    issued = log_in(session)

    assert issued.token.startswith(f"cbo_{issued.token_id}_")
    assert service.authenticate(session, issued.token) is officer
    assert issued.expires_at - issued.officer.created_at >= HOURS - timedelta(seconds=5)
    assert [e.action for e in audit.history(session, "officer", "li.wei")] == [
        "officer.create",
        "officer.login",
    ]


@pytest.mark.parametrize(
    ("username", "password"), [("li.wei", "wrong password!"), ("nobody", PASSWORD)]
)
def test_wrong_password_and_unknown_username_get_the_same_answer(
    session: Session, username: str, password: str
) -> None:
    add_officer(session)
    with pytest.raises(Unauthorized, match=r"^wrong username or password$"):
        log_in(session, username, password)


def test_a_session_ends_when_it_expires(session: Session) -> None:
    add_officer(session)
    issued = log_in(session)

    assert service.authenticate(session, issued.token, now=issued.expires_at - timedelta(seconds=1))
    with pytest.raises(Unauthorized, match="expired"):
        service.authenticate(session, issued.token, now=issued.expires_at)


def test_a_session_ends_at_logout_and_others_go_on(session: Session) -> None:
    add_officer(session)
    first, second = log_in(session), log_in(session)

    service.logout(session, first.token)

    with pytest.raises(Unauthorized, match="revoked"):
        service.authenticate(session, first.token)
    assert service.authenticate(session, second.token).username == "li.wei"


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # wrong secret
        lambda token: "cbec" + token[3:],  # an enterprise key's prefix
        lambda token: "cbo_0000000000000000_x",  # unknown id
        lambda token: "cbo_nothing",  # malformed
    ],
)
def test_forged_tokens_are_refused(session: Session, forge: Callable[[str], str]) -> None:
    add_officer(session)
    issued = log_in(session)
    with pytest.raises(Unauthorized):
        service.authenticate(session, forge(issued.token))


def test_a_deactivated_officer_cannot_log_in_and_its_sessions_end(session: Session) -> None:
    add_officer(session, "boss", "administrator")
    add_officer(session, "li.wei")
    issued = log_in(session)

    service.deactivate(session, "li.wei", by=SETUP, reason="left the service")

    with pytest.raises(Unauthorized):
        service.authenticate(session, issued.token)
    with pytest.raises(Unauthorized, match="deactivated"):
        log_in(session)
    # Only whoever knows the password learns that the account exists but is closed.
    with pytest.raises(Unauthorized, match=r"^wrong username or password$"):
        log_in(session, "li.wei", "not the password")
    entries = audit.history(session, "officer", "li.wei")[-2:]
    assert [(e.action, e.reason) for e in entries] == [
        ("officer.deactivate", "left the service"),
        ("officer.login_failed", None),
    ]


def test_the_last_active_administrator_stays(session: Session) -> None:
    add_officer(session, "boss", "administrator")

    with pytest.raises(Conflict, match="last active administrator"):
        service.deactivate(session, "boss", by=SETUP)
    with pytest.raises(Conflict, match="last active administrator"):
        service.set_roles(session, "boss", ["reviewer"], by=SETUP)

    add_officer(session, "deputy", "administrator", "reviewer")
    assert service.set_roles(session, "boss", ["reviewer"], by=SETUP).role_names == ["reviewer"]


def test_roles_are_replaced_and_the_change_is_recorded(session: Session) -> None:
    add_officer(session, "li.wei", "reviewer")

    service.set_roles(session, "li.wei", ["inspector", "risk_analyst"], by=SETUP)

    entry = audit.history(session, "officer", "li.wei")[-1]
    assert entry.action == "officer.roles"
    assert '"before":["reviewer"]' in entry.details
    assert '"after":["inspector","risk_analyst"]' in entry.details


def test_changing_the_password_ends_the_other_sessions(session: Session) -> None:
    add_officer(session)
    mine, elsewhere = log_in(session), log_in(session)

    with pytest.raises(Unauthorized, match="current password"):
        service.change_password(
            session, "li.wei", "a new passphrase", by=SETUP, current_password="wrong!"
        )
    service.change_password(
        session,
        "li.wei",
        "a new passphrase",
        by=SETUP,
        current_password=PASSWORD,
        keep_token_id=mine.token_id,
    )

    assert service.authenticate(session, mine.token).username == "li.wei"
    with pytest.raises(Unauthorized):
        service.authenticate(session, elsewhere.token)
    with pytest.raises(Unauthorized):
        log_in(session)
    assert log_in(session, password="a new passphrase").token


def test_a_hash_made_with_old_parameters_is_upgraded_at_login(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = add_officer(session)
    before = officer.password_hash
    monkeypatch.setattr(
        passwords, "HASHER", PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    )

    log_in(session)

    assert officer.password_hash != before
    assert "t=2" in officer.password_hash
    assert passwords.check_password(officer.password_hash, PASSWORD)
