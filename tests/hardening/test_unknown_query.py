"""A query parameter an API route does not declare is a 422 naming it and the parameters the
route takes, never silently ignored: ``?ruleSet=3`` for ``ruleSetId`` must not answer every
hit as if filtered. The pages keep ignoring what browsers and scripts add (``?v=3``)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

UNKNOWN = "noSuchFilter"


def _unknown(response: Any) -> list[dict[str, str]]:
    """The fields of a refusal that name an unknown query parameter."""
    if response.status_code != 422:
        return []
    return [f for f in response.json().get("fields", []) if f["rule"] == "unknown"]


def _operations(client: TestClient) -> list[tuple[str, str, str, list[str]]]:
    """Each /api/v1 GET operation: its template, a URL for it and its query parameters."""
    schema = client.get("/openapi.json").json()
    found = []
    for template, operations in schema["paths"].items():
        if not template.startswith("/api/v1/") or "get" not in operations:
            continue
        parameters = operations["get"].get("parameters", [])
        url = template
        for param in parameters:
            if param["in"] == "path":
                url = url.replace("{" + param["name"] + "}", "1")
        query = [p["name"] for p in parameters if p["in"] == "query"]
        found.append((template, url, f"GET {template}", query))
    return found


def test_every_api_route_refuses_a_query_parameter_it_does_not_declare(callers: Any) -> None:
    """Each GET operation of the API, as an enterprise and as an officer: an undeclared
    parameter is a 422 naming query/<it>, rule unknown, listing the ones the route takes."""
    client, enterprise, officer = callers
    operations = _operations(client)
    failures: list[str] = []
    for _template, url, label, query in operations:
        for headers in (enterprise, officer):
            response = client.get(url, params={UNKNOWN: "1"}, headers=headers)
            fields = _unknown(response)
            if [f["path"] for f in fields] != [f"query/{UNKNOWN}"]:
                failures.append(f"{label}: {response.status_code} {response.text[:300]}")
                continue
            message = fields[0]["message"]
            takes = [name for name in query if name not in message]
            if takes or (not query and "takes no query parameters" not in message):
                failures.append(f"{label}: {message!r} does not list {takes or 'none'}")
    assert len(operations) > 40
    assert not failures, "\n".join(failures)


def test_every_declared_query_parameter_is_still_taken(callers: Any) -> None:
    """The other way round: no parameter the OpenAPI schema declares (aliases included:
    ruleSetId, beforeId, from, emsNo) is called unknown, whatever its value."""
    client, _enterprise, officer = callers
    failures: list[str] = []
    declared = 0
    for _template, url, label, query in _operations(client):
        if not query:
            continue
        declared += len(query)
        response = client.get(url, params=dict.fromkeys(query, "1"), headers=officer)
        if response.status_code >= 500 or _unknown(response):
            failures.append(f"{label}: {response.status_code} {response.text[:300]}")
    assert declared > 40
    assert not failures, "\n".join(failures)


def test_an_analysts_misspelt_filter_is_refused_naming_it(callers: Any) -> None:
    """?ruleSet=3 (the filter is ruleSetId) and ?runId=999 (the networks take only limit)
    answered every hit and the latest networks, unfiltered, as if filtered."""
    client, _enterprise, officer = callers
    assert client.get("/api/v1/risk/hits?ruleSetId=3", headers=officer).status_code == 200

    response = client.get("/api/v1/risk/hits?ruleSet=3", headers=officer)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"] == "bad_request"
    (field,) = body["fields"]
    assert field["path"] == "query/ruleSet"
    assert field["rule"] == "unknown"
    assert "did you mean ruleSetId?" in field["message"]
    assert "this route takes after, limit, mode, ruleSetId, source" in field["message"]

    response = client.get("/api/v1/network/networks?runId=999&limit=5", headers=officer)
    assert response.status_code == 422, response.text
    assert response.json()["fields"] == [
        {
            "path": "query/runId",
            "rule": "unknown",
            "message": "unknown query parameter 'runId'; this route takes limit",
        }
    ]


def test_other_methods_and_routes_without_parameters_refuse_them_too(callers: Any) -> None:
    client, enterprise, officer = callers
    # a withdrawal with its reason misspelt is not made without one
    response = client.delete(
        "/api/v1/catalogue/items/FC-JP-001?reson=discontinued", headers=enterprise
    )
    assert response.status_code == 422, response.text
    (field,) = response.json()["fields"]
    assert (field["path"], field["rule"]) == ("query/reson", "unknown")
    assert "did you mean reason?" in field["message"]

    response = client.get("/api/v1/audit/verify?from=1", headers=officer)
    assert response.status_code == 422, response.text
    (field,) = response.json()["fields"]
    assert field["path"] == "query/from"
    assert field["message"].endswith("this route takes no query parameters")


def test_the_pages_still_ignore_what_browsers_add(callers: Any) -> None:
    client, _enterprise, _officer = callers
    assert client.get("/healthz?_=1").status_code == 200
    assert client.get("/consumer?v=3").status_code == 200
    assert client.get("/static/app.css?v=0.0.0").status_code == 200
    assert client.get("/login?utm_source=mail").status_code == 200
