"""Too many failed logins under one username: it is locked for a while, over the API, the
same for every username, in the store (so across processes and restarts), and audited."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from cbec.audit import service as audit
from cbec.errors import CbecError, TooManyRequests, Unauthorized
from cbec.officers import service
from cbec.store.models import Officer, utcnow
from tests.officers.factories import PASSWORD, app_client, staff

WRONG = "not the password at all"
#: Three failures lock a username for ten minutes in these tests.
LOCK = {"officer_signin_attempts": 3, "officer_signin_lock_seconds": 600}


@pytest.fixture
def client(engine: Engine, db: sessionmaker[Session]) -> Iterator[TestClient]:
    """The API on the test store, with a reviewer ``li.wei``; three failures lock."""
    staff(db, li_wei=["reviewer"])
    with app_client(engine, **LOCK) as test_client:
        yield test_client


def log_in(client: TestClient, username: str, password: str) -> Response:
    return client.post("/api/v1/officers/login", json={"username": username, "password": password})


def test_after_three_failures_even_the_right_password_is_429_with_retry_after(
    client: TestClient,
) -> None:
    answers = [log_in(client, "li.wei", WRONG).status_code for _ in range(3)]
    locked = log_in(client, "li.wei", PASSWORD)

    assert answers == [401, 401, 401]
    assert locked.status_code == 429
    assert 595 <= int(locked.headers["Retry-After"]) <= 600
    assert locked.json()["error"] == "too_many_requests"
    assert "token" not in locked.json()


def test_an_unknown_username_gets_the_same_answers_and_no_account(
    client: TestClient, db: sessionmaker[Session]
) -> None:
    def answers(username: str) -> list[tuple[int, dict[str, object], str | None]]:
        said = [log_in(client, username, WRONG) for _ in range(4)]
        return [
            (
                r.status_code,
                json.loads(r.text.replace(username, "<username>")),
                r.headers.get("Retry-After"),
            )
            for r in said
        ]

    assert answers("nobody.here") == answers("li.wei")
    with db() as s:
        assert s.scalar(select(func.count()).select_from(Officer)) == 1


def test_a_successful_login_starts_the_count_again(client: TestClient) -> None:
    for _ in range(3):
        assert [log_in(client, "li.wei", WRONG).status_code for _ in range(2)] == [401, 401]
        assert log_in(client, "li.wei", PASSWORD).status_code == 200


def test_the_lock_holds_in_every_process_and_after_a_restart_and_ends_when_due(
    engine: Engine, db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    staff(db, li_wei=["reviewer"])
    with app_client(engine, **LOCK) as one, app_client(engine, **LOCK) as other:
        for _ in range(3):
            assert log_in(one, "li.wei", WRONG).status_code == 401
        assert log_in(other, "li.wei", PASSWORD).status_code == 429
    with app_client(engine, **LOCK) as restarted:
        assert log_in(restarted, "li.wei", PASSWORD).status_code == 429
        later = utcnow() + timedelta(seconds=601)
        monkeypatch.setattr(service, "utcnow", lambda: later)
        assert log_in(restarted, "li.wei", PASSWORD).status_code == 200


def test_failures_and_the_lock_are_audited_with_the_username_never_the_password(
    client: TestClient, db: sessionmaker[Session]
) -> None:
    for username in ("li.wei", "nobody.here"):
        for _ in range(4):
            log_in(client, username, WRONG)

    with db() as s:
        officer = [
            (e.action, e.actor, json.loads(e.details))
            for e in audit.history(s, "officer", "li.wei")
        ]
        unknown = [e.action for e in audit.history(s, "officer", "nobody.here")]
        everything = audit.search(s, limit=1000)
    assert officer[1:] == [
        ("officer.login_failed", "officers.login", {"failures": 1, "client": "testclient"}),
        ("officer.login_failed", "officers.login", {"failures": 2, "client": "testclient"}),
        ("officer.login_failed", "officers.login", {"failures": 3, "client": "testclient"}),
        (
            "officer.login_locked",
            "officers.login",
            {"failures": 3, "lockedUntil": officer[-1][2]["lockedUntil"], "client": "testclient"},
        ),
    ]
    assert unknown == ["officer.login_failed"] * 3 + ["officer.login_locked"]
    assert everything
    for entry in everything:
        stored = " ".join(str(v) for v in vars(entry).values())
        assert WRONG not in stored
        assert PASSWORD not in stored


def test_logins_sent_at_once_get_no_more_tries_than_one_after_another(
    db: sessionmaker[Session],
) -> None:
    staff(db, li_wei=["reviewer"])
    limit = service.SignInLimit(attempts=3, lock=timedelta(minutes=10))

    def attempt(_: int) -> type[CbecError]:
        with db() as s:
            try:
                service.login(s, "li.wei", WRONG, lifetime=timedelta(hours=1), limit=limit)
            except CbecError as exc:
                s.commit()
                return type(exc)
        raise AssertionError("a wrong password was let in")

    with ThreadPoolExecutor(4) as pool:
        refusals = list(pool.map(attempt, range(8)))

    assert sorted(r.__name__ for r in refusals) == sorted(
        [Unauthorized.__name__] * 3 + [TooManyRequests.__name__] * 5
    )


def test_one_address_trying_many_usernames_is_stopped_whatever_the_names(
    engine: Engine, db: sessionmaker[Session]
) -> None:
    """The lock per username does not stop one password tried against many usernames:
    past CBEC_OFFICER_SIGNIN_RATE_PER_CLIENT refused sign-ins from one address (here 4 an
    hour) its sign-ins are refused with 429 before any password is checked, even the right
    one of an account never tried; the web sign-in page says so in its language."""
    staff(db, li_wei=["reviewer"])
    with app_client(engine, **LOCK, officer_signin_rate_per_client="4/hour") as client:
        sprayed = [log_in(client, f"officer.{n}", "Spring2026!").status_code for n in range(4)]
        assert sprayed == [401, 401, 401, 401]  # no username failed three times
        stopped = log_in(client, "li.wei", PASSWORD)
        assert stopped.status_code == 429
        assert "from this address" in stopped.json()["detail"]
        assert int(stopped.headers["Retry-After"]) > 0
        page = client.post(
            "/login",
            data={"username": "li.wei", "password": PASSWORD, "next": "/workbench"},
            headers={"Origin": "http://testserver"},
            follow_redirects=False,
        )
        assert page.status_code == 429
        assert "您的地址登录失败次数过多" in page.text
