"""The risk pages in the browser: rules and the rule editor, cases, portraits, payment
companies, the warehouse, and the workbench's "open case clue". Each page shows real data
to the roles that may see it and refuses the others (403); identities stay masked; each
action changes what the next page shows and is in the audit log."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cbec.audit.service import Actor
from cbec.network import communities
from cbec.registry.credentials import issue_key
from cbec.risk import cases
from cbec.risk import service as risk
from cbec.store.models import AuditEntry, Case, Declaration, Enterprise, EnterpriseRole, RuleSet
from tests.conftest import sample_uscc
from tests.intake.conftest import auth
from tests.officers.factories import login, staff
from tests.warehouse.conftest import AREA, EMS, MILK, MILK_BAR, SERUM, SERUM_BAR, entry
from tests.web.conftest import BUYER_ID, BUYER_PHONE, EBC, PAY, a_set, send, sign_in
from tests.web.test_pages import EXTERNAL, LINKS

ANALYST = Actor.officer("ana")
RULES = {
    "name": "value-watch",
    "description": "lists worth more than 100",
    "rules": [
        {
            "name": "big-value",
            "description": "taxable value over 100",
            "when": {">": [{"field": "taxable_value"}, 100]},
            "action": "xray",
            "score": 60,
        }
    ],
}
BUYER_MASKED = "110*************2X"


@pytest.fixture
def team(db: sessionmaker[Session]) -> None:
    staff(
        db,
        ana=["risk_analyst"],
        inv=["investigator"],
        rev=["reviewer"],
        insp=["inspector"],
        adm=["administrator"],
    )


def numbers(db: sessionmaker[Session]) -> list[str]:
    with db() as s:
        return [d for d in s.scalars(select(Declaration.invt_no).order_by(Declaration.id)) if d]


def published_rules(db: sessionmaker[Session]) -> int:
    with db() as s:
        rule_set = risk.create_rule_set(s, risk.parse(RULES), by=ANALYST)
        risk.publish(s, rule_set.id, by=ANALYST)
        s.commit()
        return rule_set.id


def audited(db: sessionmaker[Session], action: str) -> list[AuditEntry]:
    with db() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def as_officer(web: Callable[..., TestClient], username: str, **settings: float) -> TestClient:
    client = web(**settings)
    sign_in(client, username)
    return client


def row(html: str, marker: str) -> str:
    """The table row carrying ``marker`` (a data attribute)."""
    found = re.search(rf"<tr[^>]*{re.escape(marker)}[^>]*>(.*?)</tr>", html, re.DOTALL)
    assert found, marker
    return found.group(1)


def cells(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", " ", c).split()[0] if c.strip() else ""
        for c in re.findall(r"<td[^>]*>(.*?)</td>", html, re.DOTALL)
    ]


def no_identity(html: str) -> None:
    assert BUYER_ID not in html
    assert BUYER_PHONE not in html


def test_a_stranger_is_sent_to_sign_in(web: Callable[..., TestClient]) -> None:
    client = web()
    for path in (
        "/risk/rules",
        "/risk/rules/new",
        "/risk/cases",
        "/risk/cases/1",
        "/portraits",
        "/portraits/4401960002",
        "/payments",
        "/warehouse",
    ):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == f"/login?next={quote(path, safe='/')}"
    # actions too, and nothing happens
    for path in ("/risk/rules/new", "/risk/cases/1/close", "/portraits/ratings"):
        response = client.post(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login")


def test_navigation_shows_each_role_its_pages(web: Callable[..., TestClient], team: None) -> None:
    pages = ("/risk/rules", "/risk/cases", "/portraits", "/payments", "/warehouse")
    expected = {
        "ana": set(pages),
        "inv": {"/risk/rules", "/risk/cases", "/portraits", "/payments"},
        "rev": {"/risk/rules", "/warehouse"},
        "insp": {"/risk/rules", "/warehouse"},
        "adm": {"/portraits"},
    }
    for username, shown in expected.items():
        client = as_officer(web, username)
        nav = client.get("/monitor").text.split("<nav>")[1].split("</nav>")[0]
        assert {p for p in pages if f'href="{p}"' in nav} == shown, username
        for path in pages:
            response = client.get(path)
            assert response.status_code == (200 if path in shown else 403), (username, path)
            assert not EXTERNAL.findall(response.text), path  # served by cbec alone
            assert all(link.startswith(("/", "#")) for link in LINKS.findall(response.text))


def test_rules_show_hits_and_seizure_rate_of_live_traffic(
    web: Callable[..., TestClient], filed: dict[str, str], team: None, db: sessionmaker[Session]
) -> None:
    published_rules(db)
    inspector = as_officer(web, "insp")
    send(inspector, filed, a_set(1))
    send(inspector, filed, a_set(2))
    first, second = numbers(db)
    seized = inspector.post(
        f"/workbench/items/{first}/inspection", json={"result": "seize", "details": "forged"}
    )
    assert seized.status_code == 200, seized.text

    page = inspector.get("/risk/rules")
    assert page.status_code == 200
    assert "value-watch" in page.text
    assert "New draft" not in page.text  # an inspector reads, a risk analyst writes
    figures = cells(row(page.text, 'data-rule="big-value"'))
    # rule, action, score, hits, shadow, lists, inspected, seized, rate
    assert figures[1:] == ["xray", "60.0", "2", "0", "2", "2", "1", "50.0%"]

    conformed = inspector.post(
        f"/workbench/items/{second}/inspection", json={"result": "conform", "details": "ok"}
    )
    assert conformed.status_code == 200
    send(inspector, filed, a_set(3))
    figures = cells(row(inspector.get("/risk/rules").text, 'data-rule="big-value"'))
    assert figures[3] == "3"  # a third hit
    assert figures[-1] == "33.3%"

    refused = as_officer(web, "adm").get("/risk/rules")
    assert refused.status_code == 403
    assert "risk_analyst" in refused.text
    assert "value-watch" not in refused.text


def test_rule_editor_refuses_json_nested_too_deeply_instead_of_crashing(
    web: Callable[..., TestClient], team: None, db: sessionmaker[Session]
) -> None:
    """Text nested past what the JSON reader can follow gave a 500; it is refused in the
    editor like any text that is not JSON, and the text comes back to be corrected."""
    analyst = as_officer(web, "ana")
    deep = '{"name": "x", "rules": ' + "[" * 5000 + "]" * 5000 + "}"
    for step in ("validate", "save"):
        answer = analyst.post("/risk/rules/new", data={"text": deep, "step": step})
        assert answer.status_code == 400, answer.text[:200]
        assert "nested too deeply to read" in answer.text
    with db() as s:
        assert s.scalars(select(RuleSet)).all() == []


def test_rule_editor_validates_saves_backtests_and_publishes_a_draft(
    web: Callable[..., TestClient], filed: dict[str, str], team: None, db: sessionmaker[Session]
) -> None:
    analyst = as_officer(web, "ana", inspection_rate=1.0)
    send(analyst, filed, a_set(1))
    send(analyst, filed, a_set(2))
    first, _ = numbers(db)
    inspector = as_officer(web, "insp")
    inspector.post(f"/workbench/items/{first}/inspection", json={"result": "seize", "details": "x"})

    editor = analyst.get("/risk/rules/new")
    assert editor.status_code == 200
    assert "unit_price_ratio" in editor.text  # the template and the vocabulary

    wrong = json.loads(json.dumps(RULES))
    wrong["rules"][0]["when"] = {"<": [{"feature": "no_such_feature"}, 3]}
    answer = analyst.post("/risk/rules/new", data={"text": json.dumps(wrong), "step": "save"})
    assert answer.status_code == 400
    assert "rules[0]/when" in answer.text
    assert "unknown_feature" in answer.text
    assert "规则 <b>big-value</b>" in answer.text  # the page is in Chinese by default
    assert "no_such_feature" in answer.text  # the text comes back to be corrected
    unfiled = json.loads(json.dumps(RULES))
    unfiled["rules"][0]["scope"] = {"enterprises": ["44019600O1"]}
    for step in ("validate", "save"):
        answer = analyst.post("/risk/rules/new", data={"text": json.dumps(unfiled), "step": step})
        assert answer.status_code == 400
        assert "rules[0]/scope/enterprises[0]" in answer.text
        assert 'is filed <span class="rule">[filed]</span>' in answer.text
    not_json = analyst.post("/risk/rules/new", data={"text": '{"name": ', "step": "validate"})
    assert not_json.status_code == 400
    assert "line 1, column" in not_json.text
    with db() as s:
        assert s.scalars(select(RuleSet)).all() == []

    checked = analyst.post("/risk/rules/new", data={"text": json.dumps(RULES), "step": "validate"})
    assert checked.status_code == 200
    assert 'id="valid"' in checked.text
    saved = analyst.post(
        "/risk/rules/new", data={"text": json.dumps(RULES), "step": "save"}, follow_redirects=False
    )
    assert saved.status_code == 303
    draft = int(saved.headers["location"].split("/")[-1].split("?")[0])
    page = analyst.get(saved.headers["location"]).text
    assert "草稿已保存" in page  # saved as a draft
    assert 'id="set-status">draft' in page
    assert len(audited(db, "rule_set.create")) == 1

    edited = json.loads(json.dumps(RULES))
    edited["rules"][0]["when"] = {">": [{"field": "taxable_value"}, 100000]}
    analyst.post(f"/risk/rules/{draft}", data={"text": json.dumps(edited), "step": "save"})
    assert "100000" in analyst.get(f"/risk/rules/{draft}").text
    analyst.post(f"/risk/rules/{draft}", data={"text": json.dumps(RULES), "step": "save"})
    assert len(audited(db, "rule_set.update")) == 2

    backtest = analyst.get(f"/risk/rules/{draft}?backtest=true&since=2026-11-01").text
    backtest = backtest.split('id="backtest-result"')[1]
    # rule, action, hits, inspected, seized, seizure rate, value, tax
    assert cells(row(backtest, 'data-rule="big-value"'))[:6] == [
        "big-value",
        "xray",
        "2",
        "2",
        "1",
        "50.0%",
    ]
    nothing = analyst.get(f"/risk/rules/{draft}?backtest=true&since=2027-01-01").text
    nothing = nothing.split('id="backtest-result"')[1]
    assert cells(row(nothing, 'data-rule="big-value"'))[2] == "0"
    backwards = analyst.get(f"/risk/rules/{draft}?backtest=true&since=2026-12-01&until=2026-11-01")
    assert backwards.status_code == 400
    assert 'id="backtest-result"' not in backwards.text
    assert "<code>until</code> the backtest must end on or after its first day" in backwards.text

    assert (
        inspector.post(
            f"/risk/rules/{draft}", data={"text": json.dumps(RULES), "step": "save"}
        ).status_code
        == 403
    )
    assert inspector.get(f"/risk/rules/{draft}?backtest=true").status_code == 403
    assert (
        inspector.post(f"/risk/rules/{draft}/status", data={"step": "publish"}).status_code == 403
    )

    published = analyst.post(
        f"/risk/rules/{draft}/status", data={"step": "publish", "reason": "backtest holds"}
    )
    assert published.status_code == 200
    page = analyst.get(f"/risk/rules/{draft}").text
    assert 'id="set-status">published' in page
    assert "readonly" in page
    assert audited(db, "rule_set.publish")[0].reason == "backtest holds"
    again = analyst.post(f"/risk/rules/{draft}", data={"text": json.dumps(RULES), "step": "save"})
    assert again.status_code == 409
    assert "immutable" in again.text
    listing = analyst.get("/risk/rules").text
    assert listing.index("value-watch") < listing.index('id="sets-draft"')  # under published


def _a_seizure(
    web: Callable[..., TestClient], filed: dict[str, str], db: sessionmaker[Session]
) -> str:
    inspector = as_officer(web, "insp", inspection_rate=1.0)
    send(inspector, filed, a_set(1))
    [number] = numbers(db)
    inspector.post(
        f"/workbench/items/{number}/inspection", json={"result": "seize", "details": "x"}
    )
    return number


def test_cases_show_masked_evidence_and_move_through_their_lifecycle(
    web: Callable[..., TestClient], filed: dict[str, str], team: None, db: sessionmaker[Session]
) -> None:
    number = _a_seizure(web, filed, db)
    with db() as s:
        [case_id] = s.scalars(select(Case.id)).all()
    investigator = as_officer(web, "inv")
    listing = investigator.get("/risk/cases")
    assert listing.status_code == 200
    assert f'data-case="{case_id}"' in listing.text
    assert f"seizure of list {number}" in listing.text

    page = investigator.get(f"/risk/cases/{case_id}").text
    assert number in page
    assert BUYER_MASKED in page
    assert "138****5678" in page
    no_identity(page)
    assert EBC in page

    assert (
        investigator.post(f"/risk/cases/{case_id}/assign", data={"assignee": "ana"}).status_code
        == 200
    )
    assert 'id="case-assignee">ana' in investigator.get(f"/risk/cases/{case_id}").text
    bad = investigator.post(f"/risk/cases/{case_id}/assign", data={"assignee": "rev"})
    assert bad.status_code == 400
    assert "assignee" in bad.text
    investigator.post(f"/risk/cases/{case_id}/investigate", data={"note": "calling the platform"})
    assert 'id="case-status">investigating' in investigator.get(f"/risk/cases/{case_id}").text
    unsaid = investigator.post(
        f"/risk/cases/{case_id}/close", data={"outcome": "confirmed", "note": " "}
    )
    assert unsaid.status_code == 400
    assert "note" in unsaid.text
    investigator.post(
        f"/risk/cases/{case_id}/close", data={"outcome": "confirmed", "note": "forged brand"}
    )
    closed = investigator.get(f"/risk/cases/{case_id}").text
    assert 'id="case-status">closed' in closed
    assert 'id="case-outcome">confirmed' in closed
    assert 'id="actions"' not in closed
    assert "data-case" in investigator.get("/risk/cases?status=closed").text
    assert "data-case" not in investigator.get("/risk/cases?status=open").text
    assert [e.action for e in audited(db, "case.close")] == ["case.close"]

    reviewer = as_officer(web, "rev")
    assert reviewer.get("/risk/cases").status_code == 403
    assert reviewer.get(f"/risk/cases/{case_id}").status_code == 403
    assert reviewer.post(f"/risk/cases/{case_id}/investigate").status_code == 403


def _network_case(db: sessionmaker[Session], picture: str | None = None) -> int:
    found = communities.Found(
        hub="person:abc",
        members=["person:abc", "person:def", "address:x", "phone:y"],
        people=2,
        addresses=1,
        phones=1,
        provinces=2,
        cells=1,
        weekly=[("2026-W45", 2)],
        measures={"people": 2.0},
        contributions={"people": 0.1},
        score=0.91,
        links=[(0, 2), (1, 2), (0, 3), (1, 3)],
        kinds=["person", "person", "address", "phone"],
    )
    labels = {"person:abc": "张* 110*************2X <b>", "address:x": "广东省广州市****"}
    drawn = picture if picture is not None else communities.picture(found, labels)
    with db() as s:
        case = cases.open_case(
            s,
            source="network",
            subject_key=f"network:{found.hub}:{picture is None}",
            title="network of 2 people over 2 provinces",
            evidence=[
                cases.Evidence(
                    "network",
                    found.hub,
                    {
                        "people": found.people,
                        "addresses": found.addresses,
                        "phones": found.phones,
                        "provinces": found.provinces,
                        "cells": found.cells,
                        "newMembersPerWeek": dict(found.weekly),
                        "measures": found.measures,
                        "contributions": found.contributions,
                        "score": found.score,
                        "picture": drawn,
                    },
                ),
                cases.Evidence(
                    "identity", f"member:{BUYER_ID}", {"label": "张* 110*************2X"}
                ),
            ],
            by=Actor.system("network"),
        )
        s.commit()
        return case.id


def test_a_network_case_draws_its_graph_inline_and_only_a_plain_picture(
    web: Callable[..., TestClient], team: None, db: sessionmaker[Session]
) -> None:
    drawn, tampered = (
        _network_case(db),
        _network_case(
            db, '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="1"/></svg>'
        ),
    )
    analyst = as_officer(web, "ana")
    page = analyst.get(f"/risk/cases/{drawn}").text
    picture = page.split('<figure class="network-picture">')[1].split("</figure>")[0]
    assert "<svg" in picture
    assert picture.count("<circle") == 4
    assert picture.count("<line") == 4
    assert "&lt;b&gt;" in picture  # the label's markup stays text
    assert "<b>" not in picture
    assert "0.91" in page
    no_identity(page)
    assert BUYER_MASKED in page
    other = analyst.get(f"/risk/cases/{tampered}").text
    assert "onload" not in other
    assert "不予显示" in other  # the stored picture is not drawn


def test_workbench_opens_a_case_clue_with_a_reason(
    web: Callable[..., TestClient], filed: dict[str, str], team: None, db: sessionmaker[Session]
) -> None:
    analyst = as_officer(web, "ana", review_rate=1.0)
    send(analyst, filed, a_set(1))
    [number] = numbers(db)
    item = analyst.get(f"/workbench/items/{number}").text
    assert f'action="/workbench/items/{number}/case"' in item
    reviewer = as_officer(web, "rev")
    assert "/case" not in reviewer.get(f"/workbench/items/{number}").text
    assert reviewer.post(f"/workbench/items/{number}/case", data={"reason": "x"}).status_code == 403

    empty = analyst.post(f"/workbench/items/{number}/case", data={"reason": "  "})
    assert empty.status_code == 400
    assert "reason" in empty.text
    with db() as s:
        assert s.scalars(select(Case)).all() == []

    opened = analyst.post(
        f"/workbench/items/{number}/case",
        data={"reason": f"same buyer {BUYER_ID} as last week's seizure"},
        follow_redirects=False,
    )
    assert opened.status_code == 303
    page = analyst.get(opened.headers["location"]).text
    assert "manual" in page
    assert "same buyer" in page
    assert number in page
    no_identity(page)
    assert [e.actor for e in audited(db, "case.open")] == ["ana"]
    with db() as s:
        assert s.scalars(select(Declaration.status)).one() == 300  # the goods are not stopped


def test_portraits_show_class_score_contributions_and_a_published_rating(
    web: Callable[..., TestClient], filed: dict[str, str], team: None, db: sessionmaker[Session]
) -> None:
    analyst = as_officer(web, "ana")
    for n in (1, 2, 3):
        send(analyst, filed, a_set(n))
    listing = analyst.get("/portraits")
    assert listing.status_code == 200
    assert f'data-code="{EBC}"' in listing.text
    assert "暂无待发布评级" in listing.text  # no proposal is waiting
    no_identity(listing.text)

    assert analyst.post("/portraits/ratings").status_code == 200
    pending = analyst.get("/portraits").text
    assert 'id="rating-items"' in pending
    items = pending.split('id="rating-items"')[1].split("</table>")[0]
    proposed = re.search(rf'aria-label="[^"]+ {EBC}">.*?<option value="(\w)" selected>', items)
    assert proposed
    keep = "C" if proposed.group(1) != "C" else "D"
    action = re.search(r'action="(/portraits/ratings/\d+/publish)"', pending)
    assert action
    codes = re.findall(r'name="code" value="(\d+)"', items)
    chosen = {"code": codes, "class": [keep if c == EBC else "" for c in codes]}
    refused = analyst.post(action.group(1), data={**chosen, "reason": ""})
    assert refused.status_code == 400
    assert "reason" in refused.text
    done = analyst.post(action.group(1), data={**chosen, "reason": "annual review"})
    assert done.status_code == 200
    assert "暂无待发布评级" in done.text

    page = analyst.get(f"/portraits/{EBC}").text
    assert 'id="contributions"' in page
    assert f'id="in-force">{keep}' in page
    assert "officer kept" in page
    assert "annual review" in page
    assert audited(db, "portrait.rating.publish")[0].actor == "ana"

    administrator = as_officer(web, "adm")
    assert administrator.get(f"/portraits/{EBC}").status_code == 200
    assert 'id="propose"' not in administrator.get("/portraits").text
    assert administrator.post("/portraits/ratings").status_code == 403
    assert as_officer(web, "insp").get(f"/portraits/{EBC}").status_code == 403
    assert analyst.get("/portraits/0000000000").status_code == 404


def test_payments_report_ranks_explains_and_exports_masked_requests(
    web: Callable[..., TestClient], filed: dict[str, str], team: None, db: sessionmaker[Session]
) -> None:
    analyst = as_officer(web, "ana")
    send(analyst, filed, a_set(1))
    send(analyst, filed, a_set(2, payment={"amountPaid": "999.00", "payTime": "20261110080000"}))
    page = analyst.get("/payments")
    assert page.status_code == 200
    assert f'data-code="{PAY}"' in page.text
    assert "2 payments" in page.text
    assert "可疑交易：1" in page.text  # one suspicious transaction
    link = f"/payments/{PAY}/verification-requests.csv"
    assert f'href="{link}"' in page.text
    no_identity(page.text)

    csv = analyst.get(link)
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert lines[0].startswith("payTransactionId,orderNo")
    assert len(lines) == 2
    assert "amount_mismatch" in lines[1]
    assert "**************002X" in lines[1]
    no_identity(csv.text)
    assert audited(db, "payment.verification_export")[0].actor == "ana"
    assert as_officer(web, "rev").get(link).status_code == 403
    assert analyst.get("/payments/4400000000/verification-requests.csv").status_code == 404


def test_warehouse_shows_book_stock_counts_off_the_book_and_goods_past_shelf_time(
    web: Callable[..., TestClient], filed: dict[str, str], team: None, db: sessionmaker[Session]
) -> None:
    with db() as s:
        area = Enterprise(
            customs_code=AREA,
            uscc=sample_uscc(60),
            name="广州南沙保税仓储有限公司",
            status="active",
            filing_date=date(2024, 3, 1),
            roles=[EnterpriseRole(role="area")],
        )
        s.add(area)
        s.flush()
        token = issue_key(s, area).token
        s.commit()
    inspector = as_officer(web, "insp", warehouse_shelf_days=10)
    sent = inspector.post(
        "/api/v1/messages",
        content=entry("E1", [(MILK, "100", MILK_BAR), (SERUM, "5", SERUM_BAR)]),
        headers=auth(token),
    )
    assert sent.status_code == 200, sent.text
    page = inspector.get("/warehouse").text
    assert f'data-ems="{EMS}"' in page
    assert "盘点无差异" in page  # every count agreed with the book
    on_hand = re.search(rf'data-item="{MILK}">.*?class="num on-hand">([^<]+)<', page, re.DOTALL)
    assert on_hand
    assert on_hand.group(1) == "100"
    shelf = page.split('id="shelf"')[1].split("</section>")[0]
    assert MILK in shelf  # entered on 2026-11-01, more than 10 days ago
    assert SERUM in shelf

    headers = login(inspector, "insp")
    counted = inspector.post(
        f"/api/v1/scan/{MILK_BAR}/count",
        json={"counted": "97", "note": "shelf B3"},
        headers=headers,
    )
    assert counted.status_code == 201, counted.text
    page = inspector.get("/warehouse").text
    found = page.split('id="discrepancies"')[1].split("</section>")[0]
    assert MILK in found
    assert "-3" in found
    assert "shelf B3" in found
    assert "盘点 97" in row(page, f'data-item="{MILK}"')  # last counted: 97

    assert as_officer(web, "ana").get("/warehouse").status_code == 200
    assert as_officer(web, "inv").get("/warehouse").status_code == 403


def test_a_bad_value_in_the_address_shows_the_error_page_in_the_officers_language(
    web: Callable[..., TestClient], team: None
) -> None:
    analyst = as_officer(web, "ana")
    cases_page = analyst.get("/risk/cases?status=bogus")
    assert cases_page.status_code == 422
    assert cases_page.headers["content-type"].startswith("text/html")
    html = cases_page.text
    assert 'id="error"' in html
    assert "无法处理" in html  # Refused, in Chinese by default
    assert "页面地址中的某个参数值无效。" in html
    assert "<code>query/status</code> “bogus”不是以下取值之一：open, investigating, closed" in html
    assert 'class="who"' in html  # the top bar still shows who is signed in

    analyst.cookies.set("lang", "en")
    for path, where in (
        ("/risk/rules/abc", "path/rule_set_id"),
        ("/risk/rules/0", "path/rule_set_id"),
        ("/risk/rules/1?backtest=true&since=yesterday", "query/since"),
        ("/risk/cases/abc", "path/case_id"),
    ):
        answer = analyst.get(path)
        assert answer.status_code == 422, path
        assert "A value in the page&#39;s address is not valid." in answer.text, path
        assert f"<code>{where}</code> “" in answer.text, path
        assert "is not a valid value here" in answer.text, path
    # the API keeps its JSON
    api = analyst.get("/api/v1/risk/cases?status=bogus")
    assert api.status_code in (401, 422)
    assert api.headers["content-type"] == "application/json"
