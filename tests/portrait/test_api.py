"""The portrait API: role checks, bad input naming the field and rule, the life of a
re-rating, and the explicit per-enterprise rates of the registry still winning."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cbec.store.models import Declaration, Enterprise
from tests.officers.factories import login, staff
from tests.portrait.conftest import PLATFORM, SEED, SELLER, Client, numbers_drawn, send

CHECK = {"check": "login", "result": "pass", "evidence": "logged in", "checkedOn": "2026-11-12"}


def test_each_action_checks_its_role(
    make_client: Client, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client()
    staff(db, rev=["reviewer"], ivy=["investigator"], ana=["risk_analyst"], boss=["administrator"])
    reviewer, investigator = login(client, "rev"), login(client, "ivy")
    analyst, admin = login(client, "ana"), login(client, "boss")
    assert client.get(f"/api/v1/portrait/enterprises/{SELLER}").status_code == 401
    assert client.get(f"/api/v1/portrait/enterprises/{SELLER}", headers=reviewer).status_code == 403
    assert client.get(f"/api/v1/portrait/enterprises/{SELLER}", headers=admin).status_code == 200
    url = f"/api/v1/portrait/platforms/{PLATFORM}/checks"
    refused = client.post(url, json=CHECK, headers=reviewer)
    assert refused.status_code == 403
    assert "investigator or risk_analyst" in refused.json()["detail"]
    noted = client.post(
        url, json={**CHECK, "evidence": "support line 13812345678 answered"}, headers=investigator
    )
    assert noted.status_code == 201
    assert noted.json()["evidence"] == "support line 138****5678 answered"  # masked
    assert client.post("/api/v1/portrait/ratings", json={}, headers=investigator).status_code == 403
    assert client.post("/api/v1/portrait/ratings", json={}, headers=analyst).status_code == 201
    emergency = {"classCode": "C", "reason": "tip-off"}
    path = f"/api/v1/portrait/enterprises/{SELLER}/emergency"
    assert client.post(path, json=emergency, headers=investigator).status_code == 403
    assert client.post(path, json=emergency, headers=admin).status_code == 201


def test_bad_input_names_the_field_and_the_rule(
    make_client: Client, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client()
    staff(db, ana=["risk_analyst"])
    analyst = login(client, "ana")
    url = f"/api/v1/portrait/platforms/{PLATFORM}/checks"
    bad = client.post(url, json={**CHECK, "result": "maybe"}, headers=analyst)
    assert bad.status_code == 422
    assert {(f["path"], f["rule"]) for f in bad.json()["fields"]} == {
        ("body/result", "literal_error")
    }
    traffic = client.post(url, json={**CHECK, "check": "traffic"}, headers=analyst)
    assert traffic.status_code == 422
    assert "reportedOrders" in traffic.json()["fields"][0]["message"]
    # what is sold is the product catalogue the platform files, not a list on the check
    hs = client.post(url, json={**CHECK, "goodsHs": ["3304"]}, headers=analyst)
    assert (hs.status_code, hs.json()["fields"][0]["path"]) == (422, "body/goodsHs")
    assert hs.json()["fields"][0]["rule"] == "extra_forbidden"
    not_platform = client.post(
        f"/api/v1/portrait/platforms/{SELLER}/checks", json=CHECK, headers=analyst
    )
    assert not_platform.status_code == 400
    assert not_platform.json()["fields"][0] == {
        "path": "platformCode",
        "rule": "role=platform",
        "message": "verification is of platforms",
    }
    unknown = client.post(
        "/api/v1/portrait/enterprises/9999999999/emergency",
        json={"classCode": "D", "reason": "x"},
        headers=analyst,
    )
    assert unknown.status_code == 404
    no_reason = client.post(
        f"/api/v1/portrait/enterprises/{SELLER}/emergency",
        json={"classCode": "E", "reason": ""},
        headers=analyst,
    )
    assert {f["path"] for f in no_reason.json()["fields"]} == {"body/classCode", "body/reason"}
    # a window's ends need their UTC offset (a naive time cannot be placed)
    portrait = f"/api/v1/portrait/enterprises/{SELLER}"
    for query in ("from=2026-01-01", "to=2026-11-28T00:00:00"):
        naive = client.get(f"{portrait}?{query}", headers=analyst)
        assert naive.status_code == 422, naive.text
        field = naive.json()["fields"][0]
        assert (field["path"], field["rule"]) == (
            f"query/{query[: query.index('=')]}",
            "timezone_aware",
        )
    aware = client.get(f"{portrait}?from=2026-01-01T00:00:00%2B08:00", headers=analyst)
    assert aware.status_code == 200, aware.text


def test_a_window_that_ends_before_it_starts_is_refused_not_rated_on_no_lists(
    make_client: Client, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client()
    staff(db, ana=["risk_analyst"])
    analyst = login(client, "ana")
    portrait = f"/api/v1/portrait/enterprises/{SELLER}"
    backwards = "from=2026-12-01T00:00:00%2B08:00&to=2026-11-01T00:00:00%2B08:00"
    future = "from=2099-01-01T00:00:00%2B08:00"  # and no end: up to now
    for query, path in ((backwards, "to"), (future, "to")):
        refused = client.get(f"{portrait}?{query}", headers=analyst)
        assert refused.status_code == 400, refused.text
        [field] = refused.json()["fields"]
        assert (field["path"], field["rule"]) == (path, "after")
    later = {"windowFrom": "2099-01-01T00:00:00+08:00"}
    proposed = client.post("/api/v1/portrait/ratings", json=later, headers=analyst)
    assert proposed.status_code == 400, proposed.text
    assert proposed.json()["fields"][0]["path"] == "windowTo"
    assert client.get("/api/v1/portrait/ratings", headers=analyst).json() == []


def test_a_rating_is_published_once_and_overrides_must_name_its_enterprises(
    make_client: Client, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client()
    staff(db, ana=["risk_analyst"])
    analyst = login(client, "ana")
    send(client, filed, 1)
    rating = client.post("/api/v1/portrait/ratings", json={}, headers=analyst).json()
    assert rating["status"] == "proposed"
    assert {i["enterpriseCode"] for i in rating["items"]} == set(filed)
    url = f"/api/v1/portrait/ratings/{rating['id']}/publish"
    wrong = client.post(
        url, json={"reason": "ok", "overrides": {"9999999999": "A", SELLER: "Z"}}, headers=analyst
    )
    assert wrong.status_code in (400, 422)
    paths = {f["path"] for f in wrong.json()["fields"]}
    assert any(SELLER in p for p in paths)
    done = client.post(url, json={"reason": "ok", "overrides": {SELLER: "C"}}, headers=analyst)
    assert done.status_code == 200, done.text
    items = {i["enterpriseCode"]: i for i in done.json()["items"]}
    assert items[SELLER]["finalClass"] == "C"
    again = client.post(url, json={"reason": "ok"}, headers=analyst)
    assert again.status_code == 409
    history = client.get(f"/api/v1/portrait/enterprises/{SELLER}/classes", headers=analyst).json()
    assert history[-1]["classCode"] == "C"
    assert "officer kept C instead of B" in history[-1]["reason"]
    # the portrait shows no buyer's personal data
    page = client.get(f"/api/v1/portrait/enterprises/{SELLER}", headers=analyst)
    assert "11010519491231002X" not in page.text
    assert "13812345678" not in page.text


def test_the_registry_rates_of_the_seller_still_replace_the_class_rates(
    make_client: Client, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client(sampling_seed=SEED)
    staff(db, ana=["risk_analyst"])
    analyst = login(client, "ana")
    first, second = numbers_drawn(0.05, 0.8, 2)
    client.post(
        f"/api/v1/portrait/enterprises/{SELLER}/emergency",
        json={"classCode": "D", "reason": "tip-off"},
        headers=analyst,
    ).raise_for_status()
    send(client, filed, first)
    with db() as s:
        seller = s.scalars(select(Enterprise).where(Enterprise.customs_code == SELLER)).one()
        # cbec registry rates SELLER --review 0 --inspection 0
        seller.review_rate = seller.inspection_rate = 0  # type: ignore[assignment]
        s.commit()
    send(client, filed, second)
    with db() as s:
        statuses = dict(s.execute(select(Declaration.cop_no, Declaration.status)).all())
    assert statuses[f"COP20261111{first:05d}"] == 500
    assert statuses[f"COP20261111{second:05d}"] == 800
