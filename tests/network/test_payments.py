"""Joint management with payment companies: the pure analysis (reasons, scores), and on a
simulated day the colluding payment company of the fake platform ranks first, is flagged,
and its transactions are exported as verification requests with personal data cut down;
from the API (with role checks) and from a terminal."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from cbec.audit.service import Actor
from cbec.cli import app
from cbec.errors import BadRequest, NotFound
from cbec.intake.commands import load_and_prepare, locate
from cbec.intake.service import Intake
from cbec.network import payments
from cbec.network.payments import EnterpriseFact, OrderFact, PaymentFact, Thresholds
from cbec.registry.service import import_registry
from cbec.sim.output import run as simulate
from cbec.sim.simulation import Options
from cbec.store.models import AuditEntry, RiskFlag
from tests.officers.factories import PASSWORD, app_client, login, staff, use_cheap_hasher

T0 = datetime(2026, 11, 11, 10, 0, 0)
AS_OF = date(2026, 11, 11)


def pay(n: int, code: str = "PAY1", ebp: str = "EBP1", **changes: Any) -> PaymentFact:
    values: dict[str, Any] = {
        "pay_code": code,
        "pay_name": f"{code} 支付",
        "transaction_id": f"T{n}",
        "order_no": f"O{n}",
        "ebp_code": ebp,
        "ebp_name": f"{ebp} 平台",
        "payer_id": f"11010519800101{n:04d}",
        "payer_name": "王小明",
        "amount": Decimal("100.00"),
        "currency": "142",
        "time": T0,
    }
    values.update(changes)
    return PaymentFact(**values)


def order_of(p: PaymentFact, ebc: str = "EBC1", **changes: Any) -> OrderFact:
    values: dict[str, Any] = {
        "order_no": p.order_no,
        "ebp_code": p.ebp_code,
        "ebc_code": ebc,
        "ebc_name": f"{ebc} 商家",
        "buyer_id": p.payer_id,
        "buyer_name": p.payer_name,
        "paid": p.amount,
        "time": T0 + timedelta(minutes=3),
    }
    values.update(changes)
    return OrderFact(**values)


def codes(p: PaymentFact, o: OrderFact | None, t: Thresholds | None = None) -> list[str]:
    return [r.code for r in payments.transaction_reasons(p, o, t or Thresholds())]


# -- the pure analysis ---------------------------------------------------------------------


def test_an_agreeing_payment_has_no_reason() -> None:
    p = pay(1)
    assert codes(p, order_of(p)) == []


def test_each_reason_of_a_suspicious_payment() -> None:
    p = pay(1)
    assert codes(p, None) == ["no_order"]
    assert codes(p, order_of(p, paid=Decimal("120.00"))) == ["amount_mismatch"]
    assert codes(p, order_of(p, buyer_id="110105198001019999")) == ["buyer_not_payer"]
    before = order_of(p, time=T0 + timedelta(minutes=90))
    assert codes(p, before) == ["paid_before_order"]
    late = order_of(p, time=T0 - timedelta(hours=80))
    assert codes(p, late) == ["paid_long_after"]
    # the thresholds are settings: a wider tolerance and a longer wait accept both
    assert codes(p, before, Thresholds(early_minutes=120)) == []
    assert codes(p, late, Thresholds(late_hours=96)) == []
    # an order written a few minutes after the customer paid is normal
    assert codes(p, order_of(p, time=T0 + timedelta(minutes=10))) == []


def _world(
    honest_platforms: int = 4, flagged: tuple[str, ...] = ()
) -> tuple[list[PaymentFact], dict[tuple[str, str], OrderFact], dict[str, EnterpriseFact]]:
    """An honest company paying for several platforms, a small new one paying for one."""
    facts: list[PaymentFact] = []
    for n in range(40):
        facts.append(pay(n, "HONEST", f"EBP{n % honest_platforms}"))
    for n in range(40, 46):
        facts.append(pay(n, "SMALL", "NEWP"))
    orders = {(p.order_no, p.ebp_code): order_of(p, ebc=f"C{p.ebp_code}") for p in facts}
    old = date(2018, 5, 1)
    enterprises = {
        "HONEST": EnterpriseFact("HONEST", "老牌支付", old, "active"),
        "SMALL": EnterpriseFact("SMALL", "新支付", date(2026, 9, 1), "active"),
        "NEWP": EnterpriseFact("NEWP", "新平台", old, "active"),
        "CNEWP": EnterpriseFact("CNEWP", "新商家", old, "active"),
    }
    for i in range(honest_platforms):
        enterprises[f"EBP{i}"] = EnterpriseFact(f"EBP{i}", f"平台{i}", old, "active")
        enterprises[f"CEBP{i}"] = EnterpriseFact(f"CEBP{i}", f"商家{i}", old, "active")
    for code in flagged:
        e = enterprises[code]
        enterprises[code] = EnterpriseFact(
            e.code, e.name, e.filed, e.status, ("dispute (consumer)",)
        )
    return facts, orders, enterprises


def test_a_new_company_serving_one_platform_outranks_a_diversified_one() -> None:
    facts, orders, enterprises = _world()
    ranked = payments.analyse(facts, orders, enterprises, Thresholds(), AS_OF)
    assert [c.code for c in ranked] == ["SMALL", "HONEST"]
    small, honest = ranked
    points = {c.name: c.points for c in small.components}
    assert points["concentration"] == 25.0
    assert points["few_platforms"] == 15.0
    assert points["recent_filing"] == 15.0  # filed 71 days before
    assert points["risky_partners"] == 0.0  # its partners are old, filed and unflagged
    assert small.score == 55.0
    assert honest.score < 20
    assert any("filed 2026-09-01, 71 days before" in e for e in small.explanations)
    # not filed at all counts as recent filing; older than twice the window does not
    enterprises.pop("SMALL")
    again = payments.analyse(facts, orders, enterprises, Thresholds(), AS_OF)
    assert "it is not filed with customs (+15.0)" in again[0].explanations


def test_flagged_and_unverified_partners_weigh_in_and_are_named() -> None:
    facts, orders, enterprises = _world(flagged=("NEWP",))
    enterprises["CNEWP"] = EnterpriseFact("CNEWP", "商家", date(2018, 5, 1), "suspended")
    [small] = [
        c
        for c in payments.analyse(facts, orders, enterprises, Thresholds(), AS_OF)
        if c.code == "SMALL"
    ]
    risky = next(c for c in small.components if c.name == "risky_partners")
    assert risky.value == 1.0
    assert "NEWP: flagged dispute (consumer)" in risky.explanation
    assert "CNEWP: filing suspended" in risky.explanation
    out = payments.company_out(small)
    assert out.partners_flagged_or_unverified == 1.0
    assert out.score == 75.0


def test_buyer_not_payer_mismatched_amounts_and_timing_raise_the_score() -> None:
    facts, orders, enterprises = _world()
    base = {
        c.code: c.score for c in payments.analyse(facts, orders, enterprises, Thresholds(), AS_OF)
    }
    for p in facts[:20]:  # half the honest company's payments go wrong
        key = (p.order_no, p.ebp_code)
        orders[key] = order_of(p, ebc=orders[key].ebc_code, buyer_id="X", paid=Decimal(1))
    ranked = payments.analyse(facts, orders, enterprises, Thresholds(), AS_OF)
    honest = next(c for c in ranked if c.code == "HONEST")
    assert honest.score == pytest.approx(base["HONEST"] + 5.0 + 5.0, abs=0.01)
    out = payments.company_out(honest)
    assert (out.buyer_not_payer, out.amount_mismatch, out.suspicious) == (0.5, 0.5, 20)


def test_identity_numbers_keep_only_their_last_four() -> None:
    assert payments.mask_id_last4("11010519491231002X") == "**************002X"
    assert payments.mask_id_last4("") == ""


# -- a simulated day in the store ----------------------------------------------------------


@dataclass(frozen=True)
class SimDay:
    folder: Path
    registry: dict[str, Any]
    labels: dict[str, Any]

    @property
    def colluding(self) -> str:
        """The payment company labelled ``fake_platform``."""
        roles = {e["customsCode"]: e["roles"] for e in self.registry["enterprises"]}
        [code] = [
            c
            for c, tags in self.labels["enterprises"].items()
            if "fake_platform" in tags and "payment" in roles[c]
        ]
        return code


@pytest.fixture(scope="module")
def sim_day(tmp_path_factory: pytest.TempPathFactory) -> SimDay:
    out = tmp_path_factory.mktemp("payday") / "day"
    simulate(Options(orders=150, seed=5, fraud_rate=0.3), out)
    return SimDay(
        out,
        json.loads((out / "registry.json").read_text(encoding="utf-8")),
        json.loads((out / "labels.json").read_text(encoding="utf-8")),
    )


@pytest.fixture
def loaded(db: sessionmaker[Session], sim_day: SimDay) -> SimDay:
    """The day's registry filed and its orders and payments taken in (intake only: the
    report reads the payments and orders as stored)."""
    with db() as s:
        import_registry(s, sim_day.registry)
        s.commit()
        intake = Intake(s, [])
        locators = [
            locator
            for locator in locate(sim_day.folder / "messages")
            if "CEB311" in locator[0] or "CEB411" in locator[0]
        ]
        for start in range(0, len(locators), 500):
            intake.submit(load_and_prepare(locators[start : start + 500], 4 << 20))
            s.commit()
    return sim_day


def test_the_colluding_payment_company_ranks_first_and_is_flagged(
    loaded: SimDay, db: sessionmaker[Session]
) -> None:
    with db() as s:
        report = payments.report(s)
    first, second = report.companies[:2]
    assert first.code == loaded.colluding
    assert (first.platforms, first.top_platform_share) == (1, 1.0)
    assert first.score >= 50 > second.score
    assert any("goes to one platform" in e for e in first.explanations)
    assert report.as_of == date(2026, 11, 11)
    with db() as s:
        run = payments.flag(s, Actor.officer("chen.jing"), Thresholds(flag_score=50))
        s.commit()
        assert [f.code for f in run.flagged] == [loaded.colluding]
        again = payments.flag(s, Actor.officer("chen.jing"), Thresholds(flag_score=50))
        s.commit()
    with db() as s:
        rows = s.scalars(
            select(RiskFlag).where(RiskFlag.source == "payment").order_by(RiskFlag.id)
        ).all()
        assert [(r.subject_kind, r.subject_key, r.kind) for r in rows] == [
            ("enterprise", loaded.colluding, "payment_concentration")
        ] * 2
        assert rows[0].valid_to is not None  # replaced by the second run
        assert rows[1].valid_to is None
        assert rows[1].id == again.flagged[0].flag_id
        assert rows[1].score == pytest.approx(first.score / 100, abs=1e-3)
        actions = s.scalars(select(AuditEntry.action)).all()
        assert actions.count("risk_flag.add") == 2
        # the report's own flag is not evidence against the company's partners
        assert payments.report(s).companies[0].score == first.score


def test_verification_requests_of_the_colluding_company(
    loaded: SimDay, db: sessionmaker[Session]
) -> None:
    with db() as s:
        export = payments.verification_requests(s, loaded.colluding, Actor.officer("x"))
        s.commit()
        fake_orders = {o for o, tags in loaded.labels["orders"].items() if "fake_platform" in tags}
        assert {r.order_no for r in export.requests} == fake_orders
        assert all("risky_partner" in r.reasons for r in export.requests)
        assert all("filed 2026-09-06" in r.reason_text for r in export.requests)
        text = payments.render(export, "csv")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == len(fake_orders)
        assert {r["orderNo"] for r in rows} == fake_orders
        for r in rows:
            assert r["payerId"].startswith("*" * 14)
            assert len(r["payerName"].rstrip("*")) == 1  # the surname only
            assert r["amountPaid"] == r["orderPaid"]  # amounts agree: the partner is the reason
            assert r["payTime"]
            assert r["payTransactionId"]
        parsed = json.loads(payments.render(export, "json"))
        assert parsed["payCode"] == loaded.colluding
        assert len(parsed["requests"]) == len(fake_orders)
        assert s.scalars(select(AuditEntry.action)).all() == ["payment.verification_export"]
        with pytest.raises(BadRequest) as bad:
            payments.render(export, "xml")
        assert bad.value.fields[0].path == "format"
        assert bad.value.fields[0].rule == "one_of"
        with pytest.raises(NotFound):
            payments.verification_requests(s, "9999999999", Actor.officer("x"))


def _full_ids(folder: Path) -> set[str]:
    ids = set()
    for path in (folder / "messages").rglob("*CEB411*"):
        text = path.read_text(encoding="utf-8")
        start = text.find("payerIdNumber>") + len("payerIdNumber>")
        ids.add(text[start : start + 18])
    return ids


def test_api_report_flags_and_csv_export_with_role_checks(
    loaded: SimDay, db: sessionmaker[Session], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_cheap_hasher(monkeypatch)
    staff(db, chen_jing=["risk_analyst"], zhao_lei=["investigator"], li_wei=["reviewer"])
    with app_client(engine) as client:
        analyst, investigator = login(client, "chen.jing"), login(client, "zhao.lei")
        reviewer = login(client, "li.wei")
        base = "/api/v1/network/payments"
        assert client.get(f"{base}/report").status_code == 401
        denied = client.get(f"{base}/report", headers=reviewer)
        assert denied.status_code == 403
        assert "risk_analyst or investigator" in denied.json()["detail"]
        report = client.get(f"{base}/report?late_hours=48", headers=investigator).json()
        assert report["companies"][0]["code"] == loaded.colluding
        assert report["thresholds"]["lateHours"] == 48
        bad = client.get(f"{base}/report?early_minutes=-1", headers=analyst)
        assert bad.status_code == 422
        assert bad.json()["fields"][0]["path"] == "query/early_minutes"
        # flags: risk analysts only
        assert client.post(f"{base}/flags", json={}, headers=investigator).status_code == 403
        flagged = client.post(f"{base}/flags", json={"flagScore": 50}, headers=analyst).json()
        assert [f["code"] for f in flagged["flagged"]] == [loaded.colluding]
        csv_answer = client.get(
            f"{base}/{loaded.colluding}/verification-requests?format=csv", headers=investigator
        )
        assert csv_answer.status_code == 200
        assert csv_answer.headers["content-type"].startswith("text/csv")
        body = csv_answer.text
        assert body.startswith("payTransactionId,orderNo,")
        assert not any(full in body for full in _full_ids(loaded.folder))
        unknown = client.get(f"{base}/0000000000/verification-requests", headers=analyst)
        assert unknown.status_code == 404
        wrong = client.get(
            f"{base}/{loaded.colluding}/verification-requests?format=xml", headers=analyst
        )
        assert wrong.status_code == 422
        assert wrong.json()["fields"][0]["path"] == "query/format"


def test_from_a_terminal(
    loaded: SimDay,
    db: sessionmaker[Session],
    store_env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_cheap_hasher(monkeypatch)
    staff(db, chen_jing=["risk_analyst"], li_wei=["reviewer"])
    runner = CliRunner()
    shown = runner.invoke(app, ["network", "payments", "report", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["companies"][0]["code"] == loaded.colluding
    table = runner.invoke(app, ["network", "payments", "report", "--limit", "3"])
    assert f"1. {loaded.colluding}" in table.stdout
    refused = runner.invoke(
        app,
        ["network", "payments", "report", "--flag", "--officer", "li.wei", "--password-stdin"],
        input=f"{PASSWORD}\n",
    )
    assert refused.exit_code == 1
    assert "needs the role risk_analyst" in refused.stderr
    flagged = runner.invoke(
        app,
        ["network", "payments", "report", "--flag", "--officer", "chen.jing", "--password-stdin"],
        input=f"{PASSWORD}\n",
    )
    assert flagged.exit_code == 0, flagged.output
    assert f"flagged {loaded.colluding}" in flagged.stdout
    out = tmp_path / "requests.json"
    done = runner.invoke(
        app,
        ["network", "payments", "export", loaded.colluding, "--format", "json", "--out", str(out)],
    )
    assert done.exit_code == 0, done.output
    assert json.loads(out.read_text(encoding="utf-8"))["payCode"] == loaded.colluding
    wrong = runner.invoke(
        app,
        ["network", "payments", "export", loaded.colluding, "--format", "xls", "--out", str(out)],
    )
    assert wrong.exit_code == 1
    assert "--format: csv or json [one_of]" in wrong.stderr
    with db() as s:
        assert s.scalar(select(RiskFlag.created_by).where(RiskFlag.source == "payment")) == (
            "chen.jing"
        )
