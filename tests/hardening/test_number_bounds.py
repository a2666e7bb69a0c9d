"""Whole numbers beyond what the store holds (2**31 for an INTEGER id on PostgreSQL, 2**63
for any on SQLite) are a 422 naming the parameter and its bound, on every API operation and
on the pages, never a 500 (SQLite's OverflowError, PostgreSQL's "out of range")."""

from __future__ import annotations

from typing import Any

import pytest

from cbec.bounds import BIGINT_MAX, INTEGER_MAX
from tests.hardening.conftest import PLATFORM
from tests.officers.factories import PASSWORD


def _named(response: Any, where: str, name: str, bound: int) -> bool:
    fields = response.json().get("fields", [])
    return any(
        f["path"] == f"{where}/{name}"
        and f["rule"] == "less_than_equal"
        and str(bound) in f["message"]
        for f in fields
    )


def test_every_integer_parameter_is_bounded_by_its_column(callers: Any) -> None:
    """Each integer path or query parameter of the API declares a maximum; one past it is a
    422 naming the parameter, as an enterprise and as an officer; none is a server error."""
    client, enterprise, officer = callers
    schema = client.get("/openapi.json").json()
    failures: list[str] = []
    probed = 0
    for template, operations in schema["paths"].items():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            for param in parameters:
                kinds = param["schema"].get("anyOf", [param["schema"]])
                integer = next((k for k in kinds if k.get("type") == "integer"), None)
                if integer is None or param["in"] not in ("path", "query"):
                    continue
                if "maximum" not in integer:
                    failures.append(f"{method.upper()} {template} {param['name']}: no maximum")
                    continue
                over = integer["maximum"] + 1
                url = template
                for other in parameters:
                    if other["in"] == "path":
                        value = over if other is param else 1
                        url = url.replace("{" + other["name"] + "}", str(value))
                query = {param["name"]: over} if param["in"] == "query" else {}
                for headers in (enterprise, officer):
                    response = client.request(method, url, params=query, headers=headers, json={})
                    probed += 1
                    if response.status_code >= 500:
                        failures.append(f"{method.upper()} {url} {query}: {response.status_code}")
                    elif response.status_code == 422 and not _named(
                        response, param["in"], param["name"], integer["maximum"]
                    ):
                        failures.append(f"{method.upper()} {url} {query}: {response.text}")
    assert probed > 50
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("who", "url", "where", "name", "bound"),
    [
        # INTEGER ids: PostgreSQL refuses 2**31 for them
        (
            "officer",
            f"/api/v1/risk/rule-sets/{INTEGER_MAX + 1}",
            "path",
            "rule_set_id",
            INTEGER_MAX,
        ),
        ("officer", f"/api/v1/risk/cases/{INTEGER_MAX + 1}", "path", "case_id", INTEGER_MAX),
        (
            "officer",
            f"/api/v1/portrait/ratings/{INTEGER_MAX + 1}",
            "path",
            "rating_id",
            INTEGER_MAX,
        ),
        (
            "officer",
            f"/api/v1/risk/hits?ruleSetId={INTEGER_MAX + 1}",
            "query",
            "ruleSetId",
            INTEGER_MAX,
        ),
        ("officer", "/api/v1/declarations?status=40000", "query", "status", 32767),
        # BIGINT ids and cursors: SQLite cannot bind 2**63
        ("enterprise", f"/api/v1/receipts?after={BIGINT_MAX + 1}", "query", "after", BIGINT_MAX),
        ("enterprise", f"/api/v1/receipts/{BIGINT_MAX + 1}", "path", "receipt_id", BIGINT_MAX),
        ("officer", f"/api/v1/enterprises?offset={BIGINT_MAX + 1}", "query", "offset", BIGINT_MAX),
        ("officer", f"/api/v1/audit?beforeId={BIGINT_MAX + 1}", "query", "beforeId", BIGINT_MAX),
        ("officer", f"/api/v1/tax/statements/{BIGINT_MAX + 1}", "path", "statement_id", BIGINT_MAX),
        (
            "officer",
            f"/api/v1/consumer/disputes?after={BIGINT_MAX + 1}",
            "query",
            "after",
            BIGINT_MAX,
        ),
        ("officer", f"/api/v1/network/networks/{BIGINT_MAX + 1}", "path", "network_id", BIGINT_MAX),
        ("officer", f"/api/v1/portrait/checks/{BIGINT_MAX + 1}", "path", "check_id", BIGINT_MAX),
    ],
)
def test_a_number_past_its_column_is_a_422_naming_it(
    callers: Any, who: str, url: str, where: str, name: str, bound: int
) -> None:
    client, enterprise, officer = callers
    response = client.get(url, headers=enterprise if who == "enterprise" else officer)
    assert response.status_code == 422, response.text
    assert _named(response, where, name, bound), response.text


def test_the_largest_id_a_column_holds_is_simply_not_found(callers: Any) -> None:
    client, enterprise, officer = callers
    assert client.get(f"/api/v1/risk/rule-sets/{INTEGER_MAX}", headers=officer).status_code == 404
    assert client.get(f"/api/v1/receipts/{BIGINT_MAX}", headers=enterprise).status_code == 404
    assert client.get(f"/api/v1/receipts?after={BIGINT_MAX}", headers=enterprise).status_code == 200


@pytest.mark.parametrize(
    ("method", "url", "name"),
    [
        ("GET", f"/risk/rules/{INTEGER_MAX + 1}", "rule_set_id"),
        ("GET", f"/risk/cases/{BIGINT_MAX + 1}", "case_id"),
        ("POST", f"/risk/cases/{INTEGER_MAX + 1}/assign", "case_id"),
        ("POST", f"/risk/rules/{INTEGER_MAX + 1}", "rule_set_id"),
        ("POST", f"/portraits/ratings/{INTEGER_MAX + 1}/publish", "rating_id"),
    ],
)
def test_pages_refuse_an_id_past_its_column(callers: Any, method: str, url: str, name: str) -> None:
    client, _enterprise, _officer = callers
    signed_in = client.post(
        "/login",
        data={"username": "chief", "password": PASSWORD, "next": "/workbench"},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text
    response = client.request(method, url, data={"text": "x", "reason": "x", "to": "chief"})
    assert response.status_code == 422, response.text
    # the site's error page (not the API's JSON), naming the parameter
    assert response.headers["content-type"].startswith("text/html"), response.text
    assert f"<code>path/{name}</code>" in response.text, response.text


@pytest.mark.parametrize(
    ("who", "method", "url", "body"),
    [
        ("officer", "POST", "/api/v1/tax/statements", {"month": "9999-12"}),
        ("officer", "POST", "/api/v1/tax/statements", {"month": "0000-01"}),
        ("officer", "POST", "/api/v1/export/summaries", {"month": "9999-12"}),
        ("officer", "GET", "/api/v1/export/statistics?month=9999-12", None),
        ("enterprise", "GET", "/api/v1/export/my-declarations?month=0000-01", None),
    ],
)
def test_a_month_at_the_edge_of_the_calendar_is_a_400_naming_it(
    callers: Any, who: str, method: str, url: str, body: dict[str, str] | None
) -> None:
    """Statements and summaries count days past the month's end: 9999-12 had none left."""
    client, enterprise, officer = callers
    headers = enterprise if who == "enterprise" else officer
    response = client.request(method, url, headers=headers, json=body)
    assert response.status_code == 400, response.text
    (field,) = response.json()["fields"]
    assert field["path"] == "month"
    assert field["rule"] == "range=1900-01..2999-12"


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/api/v1/audit?since=9999-12-31T23:59:59-12:00", "since"),
        ("/api/v1/audit?since=0001-01-01T00:00:00%2B14:00", "since"),
        (f"/api/v1/portrait/enterprises/{PLATFORM}?from=0001-01-01T00:00:00%2B00:00", "from"),
        (f"/api/v1/portrait/enterprises/{PLATFORM}?to=9999-12-31T23:00:00-12:00", "to"),
    ],
)
def test_a_time_at_the_edge_of_the_calendar_is_a_400_naming_it(
    callers: Any, url: str, name: str
) -> None:
    """Shifted to UTC, or counted back by a window, such a time leaves the calendar."""
    client, _enterprise, officer = callers
    response = client.get(url, headers=officer)
    assert response.status_code == 400, response.text
    (field,) = response.json()["fields"]
    assert (field["path"], field["rule"]) == (name, "range=1900-01..2999-12")
