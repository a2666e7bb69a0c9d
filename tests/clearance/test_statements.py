"""Monthly tax statements per guarantee: made from the tax bills of released lists, paid in
parts, late or overdue; read by the portrait's "tax paid on time"; over the API and CLI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from cbec.audit.service import Actor
from cbec.clearance import queries, statements
from cbec.cli import app
from cbec.config import get_settings
from cbec.errors import BadRequest
from cbec.messages.fields import CST
from cbec.portrait import service
from cbec.store.models import AuditEntry, TaxBill, TaxStatement
from tests.officers.factories import PASSWORD, login, staff
from tests.portrait.conftest import AGENT, SELLER, Client, key, send

SYSTEM = Actor.system("test")
OFFICER = Actor.officer("rev")


def last_month() -> str:
    first = statements.today().replace(day=1)
    return f"{first - timedelta(days=1):%Y-%m}"


def release(client: Any, filed: dict[str, str], db: sessionmaker[Session], n: int = 3) -> str:
    """``n`` lists released, their bills issued last month; the last one's guarantee is the
    agent (the others the e-commerce enterprise). The month, YYYY-MM."""
    for i in range(1, n + 1):
        send(client, filed, i)
    month = last_month()
    with db() as s:
        s.execute(update(TaxBill).values(period=month.replace("-", "")))
        last = s.scalars(select(TaxBill.id).order_by(TaxBill.id.desc())).first()
        s.execute(update(TaxBill).where(TaxBill.id == last).values(assure_code=AGENT))
        s.commit()
        assert s.scalar(select(func.count()).select_from(TaxBill)) == n
    return month


def test_a_month_is_stated_per_guarantee_and_paid_late_or_not_at_all(
    make_client: Client, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    month = release(make_client(), filed, db)
    period = month.replace("-", "")
    with db() as s:
        with pytest.raises(BadRequest) as early:
            statements.make(s, f"{statements.today():%Y-%m}", by=SYSTEM)
        assert early.value.fields[0].path == "month"
        assert early.value.fields[0].rule == "ended"
        with pytest.raises(BadRequest) as bad:
            statements.make(s, "2026-13", by=SYSTEM)
        assert (bad.value.fields[0].path, bad.value.fields[0].rule) == ("month", "pattern=YYYY-MM")

        made = statements.make(s, month, by=SYSTEM, due_days=15)
        s.commit()
        assert made.due_on == statements.month_end(period) + timedelta(days=15)
        by_code = {row.guarantor_code: row for row in made.created}
        assert set(by_code) == {SELLER, AGENT}
        assert (by_code[SELLER].bills, by_code[AGENT].bills) == (2, 1)
        ledger = queries.ledger(s, period=period)
        assert sum(r.total for r in ledger) == sum(
            (r.total.quantize(Decimal("0.01")) for r in made.created), Decimal(0)
        )
        assert all(b.status == 2 for b in s.scalars(select(TaxBill)))  # summarised
        again = statements.make(s, month, by=SYSTEM)
        assert (again.created, again.extended, again.bills) == ([], [], 0)

        seller, agent = by_code[SELLER], by_code[AGENT]
        due = seller.due_on
        part = (seller.total / 2).quantize(Decimal("0.01"))
        statements.record_payment(s, seller.id, amount=part, paid_on=due - timedelta(days=5),
                                  by=OFFICER, on=due + timedelta(days=30))  # fmt: skip
        assert statements.standing(seller.total, seller.paid, due, seller.paid_on, due).state == (
            statements.OPEN
        )
        owed = statements.standing(seller.total, seller.paid, due, seller.paid_on,
                                   due + timedelta(days=10))  # fmt: skip
        assert (owed.state, owed.days_late) == (statements.OVERDUE, 10)
        assert owed.outstanding == seller.total - part

        problems = [
            ({"amount": seller.total}, "amount", "maximum="),
            ({"amount": Decimal(0)}, "amount", "exclusiveMinimum=0"),
            ({"paid_on": due + timedelta(days=40)}, "paidOn", "not-future"),
            ({"paid_on": date(2000, 1, 1)}, "paidOn", "minimum="),
        ]
        for change, path, rule in problems:
            data: dict[str, Any] = {"amount": Decimal(1), "paid_on": due, **change}
            with pytest.raises(BadRequest) as refused:
                statements.record_payment(
                    s, seller.id, by=OFFICER, on=due + timedelta(days=30), **data
                )
            assert refused.value.fields[0].path == path
            assert refused.value.fields[0].rule.startswith(rule)
        # the rest, three days late
        statements.record_payment(s, seller.id, amount=seller.total - part,
                                  paid_on=due + timedelta(days=3), by=OFFICER,
                                  on=due + timedelta(days=30))  # fmt: skip
        s.commit()
        assert seller.paid_on == due + timedelta(days=3)
        late = statements.standing(seller.total, seller.paid, due, seller.paid_on,
                                   due + timedelta(days=30))  # fmt: skip
        assert (late.state, late.days_late, late.outstanding) == (statements.PAID_LATE, 3, 0)
        overdue = statements.statements(s, state=statements.OVERDUE, on=due + timedelta(days=20))
        assert [row.guarantor_code for row, _ in overdue] == [AGENT]
        actions = [e.action for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions.count("tax.payment.record") == 2
        assert "tax.statements.make" in actions

        # The portraits as of 20 and 40 days after the due date.
        def portraits(days: int) -> dict[str, Any]:
            end = datetime.combine(due + timedelta(days=days), time(), CST).astimezone(UTC)
            found, _ = service.portraits(s, datetime(2000, 1, 1, tzinfo=UTC), end,
                                         codes=[SELLER, AGENT])  # fmt: skip
            return found

        twenty = portraits(20)
        tax = {c.feature: c for c in twenty[SELLER].contributions}["tax_paid_on_time"]
        assert (tax.value, tax.points) == (0.0, -11.5)  # paid late: -10, 3 days: -1.5
        assert twenty[SELLER].facts.tax_paid_late == 1
        owes = {c.feature: c for c in twenty[AGENT].contributions}["tax_paid_on_time"]
        assert owes.points == -30.0  # overdue: -20, 20 days: -10
        assert twenty[AGENT].facts.tax_overdue_cny == agent.total
        forty = portraits(40)
        assert {c.feature: c for c in forty[AGENT].contributions}["tax_paid_on_time"].points == (
            -40.0
        )
        assert (forty[AGENT].facts.tax_overdue, forty[AGENT].facts.tax_days_late) == (1, 40)
        assert forty[AGENT].proposed in ("C", "D")  # at most C, whatever the score


def test_the_class_cap_follows_the_statements() -> None:
    from cbec.portrait.score import Facts, portrait

    on = date(2026, 12, 31)
    honest = Facts("X", filing_date=date(2016, 1, 1), lists=50, tax_statements=3)
    assert portrait(honest, on).proposed == "A"
    late = Facts("X", filing_date=date(2016, 1, 1), lists=50, tax_statements=3, tax_paid_late=1,
                 tax_days_late=2)  # fmt: skip
    found = portrait(late, on)
    assert (found.score, found.proposed) == (94.0, "B")
    assert found.caps == ["tax paid late or overdue in the window: not A"]
    owing = Facts("X", filing_date=date(2016, 1, 1), lists=50, tax_statements=3, tax_overdue=1,
                  tax_days_late=31, verification="verified")  # fmt: skip
    found = portrait(owing, on)
    assert (found.score, found.by_score, found.proposed) == (79.5, "B", "C")
    assert "tax owed more than 30 days past due: at most C" in found.caps


def test_statements_and_payments_over_the_api(
    make_client: Client, filed: dict[str, str], db: sessionmaker[Session]
) -> None:
    client = make_client()
    month = release(client, filed, db)
    staff(db, rev=["reviewer"], insp=["inspector"], ana=["risk_analyst"])
    reviewer, inspector, analyst = (login(client, u) for u in ("rev", "insp", "ana"))
    url = "/api/v1/tax/statements"
    assert client.post(url, json={"month": month}).status_code == 401
    assert client.post(url, json={"month": month}, headers=inspector).status_code == 403
    bad = client.post(url, json={"month": "11/2026"}, headers=reviewer)
    assert (bad.status_code, bad.json()["fields"][0]["path"]) == (422, "body/month")
    made = client.post(url, json={"month": month, "dueDays": 10}, headers=reviewer)
    assert made.status_code == 201, made.text
    body = made.json()
    assert {r["guarantorCode"] for r in body["created"]} == {SELLER, AGENT}
    assert body["bills"] == 3
    seller = next(r for r in body["created"] if r["guarantorCode"] == SELLER)
    due = date.fromisoformat(seller["dueOn"])
    assert due == statements.month_end(month.replace("-", "")) + timedelta(days=10)

    listed = client.get(url, params={"month": month, "guarantor": SELLER}, headers=analyst)
    assert [r["id"] for r in listed.json()] == [seller["id"]]
    paid_on = min(due, statements.today())
    pay = client.post(
        f"{url}/{seller['id']}/payments",
        json={"amount": seller["total"], "paidOn": paid_on.isoformat(), "reference": "BK-1"},
        headers=reviewer,
    )
    assert pay.status_code == 201, pay.text
    assert pay.json()["state"] == "paid"
    assert pay.json()["payments"][0]["reference"] == "BK-1"
    assert client.post(f"{url}/{seller['id']}/payments", json={"amount": "1", "paidOn":
                       paid_on.isoformat()}, headers=analyst).status_code == 403  # fmt: skip
    one = {"amount": "1.00", "paidOn": paid_on.isoformat()}
    over = client.post(f"{url}/{seller['id']}/payments", json=one, headers=reviewer)
    assert (over.status_code, over.json()["fields"][0]["rule"]) == (400, "maximum=0.00")
    cents = client.post(
        f"{url}/{seller['id']}/payments", json={**one, "amount": "1.001"}, headers=reviewer
    )
    assert (cents.status_code, cents.json()["fields"][0]["path"]) == (422, "body/amount")
    assert client.get(f"{url}/999999", headers=analyst).status_code == 404

    mine = client.get("/api/v1/tax/my-statements", headers=key(filed[SELLER]))
    assert mine.status_code == 200
    assert [(r["guarantorCode"], r["state"]) for r in mine.json()] == [(SELLER, "paid")]
    later = (due + timedelta(days=5)).isoformat()
    overdue = client.get(url, params={"state": "overdue", "on": later}, headers=analyst)
    assert [(r["guarantorCode"], r["daysLate"]) for r in overdue.json()] == [(AGENT, 5)]


runner = CliRunner()


@pytest.fixture
def store_env(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CBEC_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("CBEC_TAX_DUE_DAYS", "12")
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_statements_from_a_terminal(
    make_client: Client, filed: dict[str, str], db: sessionmaker[Session], store_env: None
) -> None:
    month = release(make_client(), filed, db, n=2)
    staff(db, rev=["reviewer"], ana=["risk_analyst"])
    early = runner.invoke(app, ["tax", "statements", "--month", f"{statements.today():%Y-%m}"])
    assert early.exit_code == 1
    assert "error: month: " in early.stderr
    done = runner.invoke(app, ["tax", "statements", "--month", month])
    assert done.exit_code == 0, done.stderr
    due = statements.month_end(month.replace("-", "")) + timedelta(days=12)  # CBEC_TAX_DUE_DAYS
    assert f"2 statement(s) made, 0 extended, 2 tax bill(s) summarised, due {due}" in done.stdout
    with db() as s:
        row = s.scalars(select(TaxStatement).where(TaxStatement.guarantor_code == SELLER)).one()
        assert row.bills == 1
    pay = ["tax", "pay", str(row.id), "--officer", "rev", "--password-stdin"]
    bad = runner.invoke(app, [*pay, "--amount", "lots"], input=f"{PASSWORD}\n")
    assert (bad.exit_code, "error: amount: " in bad.stderr) == (1, True)
    as_analyst = ["tax", "pay", str(row.id), "--officer", "ana", "--password-stdin"]
    refused = runner.invoke(app, [*as_analyst, "--amount", "1"], input=f"{PASSWORD}\n")
    assert refused.exit_code == 1
    assert "reviewer or administrator" in refused.stderr
    half = (row.total / 2).quantize(Decimal("0.01"))
    paid = runner.invoke(app, [*pay, "--amount", str(half), "--reference", "BK-9"],
                         input=f"{PASSWORD}\n")  # fmt: skip
    assert paid.exit_code == 0, paid.stderr
    assert f"paid {half:,.2f} of" in paid.stdout
    later = (due + timedelta(days=3)).isoformat()
    listed = runner.invoke(app, ["tax", "list", "--state", "overdue", "--on", later])
    assert listed.exit_code == 0, listed.stderr
    assert "2 statement(s); 2 overdue" in listed.stdout
    shown = runner.invoke(app, ["tax", "show", str(row.id)])
    assert "BK-9" in shown.stdout
