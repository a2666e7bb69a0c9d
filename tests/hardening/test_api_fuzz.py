"""Hostile input over HTTP: schemathesis generates requests from cbec's own OpenAPI schema
(valid and invalid bodies, paths, queries) for every operation, sent anonymously, as a filed
enterprise and as an officer holding every role. No answer may be a server error (5xx):
bad input gets a 4xx naming what is wrong."""

from __future__ import annotations

import json
from collections import Counter

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cbec.api import create_app
from cbec.config import Settings
from cbec.officers.roles import Role
from tests.conftest import sample_xml
from tests.officers.factories import login, staff, use_cheap_hasher

PLATFORM = "4401960001"
SAMPLES = ["ceb311_order.xml", "ceb311_order_signed.xml", "ceb621_inventory.xml"]
MUTATIONS = 150
#: generated requests per operation (each sent as three callers)
EXAMPLES = 4
#: Operations whose bodies are CEB messages: building them from the JSON schema (hundreds
#: of fields with patterns) takes hypothesis minutes per example. They are fuzzed below
#: with mutated real messages and arbitrary bytes instead, which reach deeper.
SKIPPED = {("POST", "/api/v1/messages"), ("POST", "/api/v1/messages/batch")}


@pytest.fixture
def fuzzed(
    engine: Engine,
    db: sessionmaker[Session],
    filed: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[FastAPI, dict[str, dict[str, str]]]:
    """The app on the test store, with the headers of each kind of caller."""
    use_cheap_hasher(monkeypatch)
    staff(db, chief=[r.value for r in Role])
    app = create_app(Settings(database_url=str(engine.url)), engine=engine, migrate=False)
    from fastapi.testclient import TestClient

    with TestClient(app) as client:
        officer = login(client, "chief")
    callers = {
        "anonymous": {},
        "enterprise": {"Authorization": f"Bearer {filed[PLATFORM]}"},
        "officer": officer,
    }
    return app, callers


def test_no_request_makes_a_server_error(
    fuzzed: tuple[FastAPI, dict[str, dict[str, str]]],
) -> None:
    app, callers = fuzzed
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = 0
    requests = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: schemathesis.Case) -> None:
            nonlocal requests
            for who, headers in callers.items():
                response = case.call(headers={**(case.headers or {}), **headers})
                requests += 1
                if response.status_code >= 500:
                    failures.append(
                        f"{who}: {case.method} {case.formatted_path} "
                        f"{case.query or ''} -> {response.status_code}: {response.text[:300]}"
                    )

        run()
    assert operations > 30
    assert failures == [], "\n".join(failures[:20])
    print(f"fuzzed {operations} operations with {requests} requests: no server error")


def test_mutated_and_arbitrary_messages_never_make_a_server_error(
    fuzzed: tuple[FastAPI, dict[str, dict[str, str]]],
) -> None:
    """Real messages with bytes flipped, cut, duplicated or replaced, and arbitrary bytes
    and JSON, posted one at a time and in batches: every answer is 200 or a 4xx."""
    app, callers = fuzzed
    samples = [sample_xml(name) for name in SAMPLES]
    statuses: Counter[int] = Counter()

    with TestClient(app) as client:

        @given(data=st.data())
        @settings(
            max_examples=MUTATIONS,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(data: st.DataObject) -> None:
            base = data.draw(st.sampled_from(samples))
            body = data.draw(
                st.one_of(
                    st.binary(max_size=2000),
                    _mutations(base),
                    st.just(base),
                )
            )
            kind = data.draw(st.sampled_from(["xml", "json", "batch"]))
            headers = dict(callers["enterprise"])
            if kind == "batch":
                wrapped = data.draw(st.booleans())
                content = (
                    json.dumps({"messages": [body.decode("utf-8", "replace")]}).encode()
                    if wrapped
                    else body
                )
                headers["Content-Type"] = "application/json"
                response = client.post("/api/v1/messages/batch", content=content, headers=headers)
            else:
                headers["Content-Type"] = f"application/{kind}"
                response = client.post("/api/v1/messages", content=body, headers=headers)
            statuses[response.status_code] += 1
            assert response.status_code < 500, response.text[:500]

        run()
    assert sum(statuses.values()) == MUTATIONS
    print(f"mutated messages: {dict(sorted(statuses.items()))}")


def _mutations(base: bytes) -> st.SearchStrategy[bytes]:
    """``base`` with a slice deleted, repeated or replaced by random bytes."""

    @st.composite
    def mutate(draw: st.DrawFn) -> bytes:
        start = draw(st.integers(0, len(base) - 1))
        end = draw(st.integers(start, min(len(base), start + 200)))
        how = draw(st.sampled_from(["delete", "repeat", "replace", "text"]))
        if how == "delete":
            return base[:start] + base[end:]
        if how == "repeat":
            return base[:end] + base[start:end] + base[end:]
        if how == "replace":
            return base[:start] + draw(st.binary(max_size=50)) + base[end:]
        text = draw(st.text(max_size=30)).encode("utf-8")
        return base[:start] + text + base[end:]

    return mutate()
