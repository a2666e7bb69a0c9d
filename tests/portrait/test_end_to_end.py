"""Done when: a re-rating and an emergency downgrade change the next decisions on an
enterprise's lists, end to end over the API."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cbec.messages.fields import CST
from cbec.store.models import AuditEntry, Declaration, utcnow
from tests.officers.factories import login, staff
from tests.portrait.conftest import (
    PLATFORM,
    SEED,
    SELLER,
    Client,
    file_catalogue,
    numbers_drawn,
    send,
)


def status_of(db: sessionmaker[Session], n: int) -> tuple[int, str]:
    with db() as s:
        d = s.scalars(select(Declaration).where(Declaration.cop_no == f"COP20261111{n:05d}")).one()
        return d.status, d.reasons


def test_re_rating_changes_the_next_decisions(
    make_client: Client, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client(sampling_seed=SEED)
    staff(db, ana=["risk_analyst"], ivy=["investigator"])
    analyst, investigator = login(client, "ana"), login(client, "ivy")
    # draws a dishonest class inspects (85% direct-site cap) but a general one does not (3%)
    first, second, third = numbers_drawn(0.05, 0.8, 3)
    file_catalogue(client, filed)  # the platform filed what it sells
    send(client, filed, first)
    assert status_of(db, first)[0] == 800  # no class, defaults 0%: released

    # An investigator could not buy on the platform: its verification fails.
    check = client.post(
        f"/api/v1/portrait/platforms/{PLATFORM}/checks",
        json={
            "check": "buy",
            "result": "fail",
            "evidence": "checkout page dead",
            "checkedOn": "2026-11-12",
        },
        headers=investigator,
    )
    assert check.status_code == 201, check.text
    proposal = client.post("/api/v1/portrait/ratings", json={}, headers=analyst)
    assert proposal.status_code == 201, proposal.text
    items = {i["enterpriseCode"]: i for i in proposal.json()["items"]}
    assert items[PLATFORM]["proposedClass"] == "D"
    assert "verification" in items[PLATFORM]["reason"]
    assert items[SELLER]["proposedClass"] == "B"  # one list: too little for A
    # proposed is not in force
    send(client, filed, second)
    assert status_of(db, second)[0] == 800, status_of(db, second)

    rating_id = proposal.json()["id"]
    published = client.post(
        f"/api/v1/portrait/ratings/{rating_id}/publish",
        json={"reason": "quarterly re-rating reviewed"},
        headers=analyst,
    )
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"
    # sent after the publication: risk features read the classes and flags valid at the
    # list's own time (appTime, to the second)
    sent = (utcnow() + timedelta(seconds=2)).astimezone(CST)
    send(client, filed, third, app_time=sent.strftime("%Y%m%d%H%M%S"))
    status, reasons = status_of(db, third)
    assert status == 500
    assert "S.inspection" in reasons
    # risk control sees the class in force and the verification flag on the platform
    with db() as s:
        invt_no = s.scalars(
            select(Declaration.invt_no).where(Declaration.cop_no == f"COP20261111{third:05d}")
        ).one()
    seen = client.get(f"/api/v1/risk/declarations/{invt_no}/assessment", headers=analyst)
    assert seen.status_code == 200, seen.text
    assert seen.json()["features"]["ebp_class"] == "D"
    assert seen.json()["features"]["flag_score"] == 1.0

    # The platform passes on a second visit: corrected, re-rated, published: released again.
    client.put(
        f"/api/v1/portrait/checks/{check.json()['id']}",
        json={
            "check": "buy",
            "result": "pass",
            "evidence": "bought, arrived",
            "checkedOn": "2026-11-20",
        },
        headers=investigator,
    ).raise_for_status()
    again = client.post("/api/v1/portrait/ratings", json={}, headers=analyst).json()
    assert {i["enterpriseCode"]: i for i in again["items"]}[PLATFORM]["proposedClass"] != "D"
    client.post(
        f"/api/v1/portrait/ratings/{again['id']}/publish",
        json={"reason": "verification passed"},
        headers=analyst,
    ).raise_for_status()
    (fourth,) = numbers_drawn(0.05, 0.8, 1, start=third + 1)
    send(client, filed, fourth)
    assert status_of(db, fourth)[0] == 800

    portrait = client.get(f"/api/v1/portrait/enterprises/{PLATFORM}", headers=analyst).json()
    assert [h["classCode"] for h in portrait["history"]] == [
        "D",
        portrait["classInForce"]["classCode"],
    ]
    assert portrait["history"][0]["reason"].startswith(f"rating {rating_id}:")
    assert sum(c["points"] for c in portrait["contributions"]) + 100 == portrait["score"]


def test_emergency_downgrade_takes_effect_at_once(
    make_client: Client, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client(sampling_seed=SEED)
    staff(db, ana=["risk_analyst"], rev=["reviewer"])
    first, second = numbers_drawn(0.05, 0.8, 2)
    send(client, filed, first)
    assert status_of(db, first)[0] == 800

    refused = client.post(
        f"/api/v1/portrait/enterprises/{SELLER}/emergency",
        json={"classCode": "D", "reason": "smuggling tip-off"},
        headers=login(client, "rev"),
    )
    assert refused.status_code == 403
    downgrade = client.post(
        f"/api/v1/portrait/enterprises/{SELLER}/emergency",
        json={"classCode": "D", "reason": "anti-smuggling tip-off, case 17"},
        headers=login(client, "ana"),
    )
    assert downgrade.status_code == 201, downgrade.text
    send(client, filed, second)
    assert status_of(db, second)[0] == 500
    with db() as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "enterprise_class.emergency")
        ).one()
        assert entry.actor == "ana"
        assert entry.reason == "anti-smuggling tip-off, case 17"
        assert entry.subject_key == SELLER
