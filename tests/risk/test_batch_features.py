"""Risk features over history as a batch job on the embedded engine (DuckDB): its rows are
the replay's, whose features are those real time computed, from the store and from a
``cbec export-data`` folder; ``cbec risk features`` writes them and ``cbec risk train``
learns from them. Spark gives the same rows: ``tests/batch/test_spark.py``."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from cbec.batch import export as exporting
from cbec.batch.engine import Embedded, Source
from cbec.cli import app
from cbec.risk import batch, history
from cbec.sim.simulation import Options
from cbec.store.models import CaseLabel, Declaration, DeclarationEvent, RiskAssessment, utcnow
from tests.batch.days import clear_day
from tests.risk.conftest import Traffic, declaration, resident_id

runner = CliRunner()


def replayed(s: Session, **window: Any) -> list[dict[str, Any]]:
    return [history.record(r) for r in history.replay(s, **window)]


def on_engine(source: Source, **window: Any) -> list[dict[str, Any]]:
    with Embedded() as engine:
        return list(batch.training_set(engine, source, **window))


def _outcomes(s: Session) -> None:
    """A seizure, an inspection and two closed cases' labels on the stored lists."""
    decided = s.scalars(select(Declaration).order_by(Declaration.id)).all()
    now = utcnow()
    for d, (start, end) in zip(decided[2:5], [(500, 502), (500, 501), (300, 500)], strict=True):
        s.add(DeclarationEvent(declaration_id=d.id, from_status=start, to_status=end, at=now))
    for d, label in ((decided[2], 1), (decided[6], 0), (decided[6], 1)):
        s.add(CaseLabel(declaration_id=d.id, label=label, source="case", outcome="confirmed"))
    s.commit()


def test_the_batch_job_gives_the_replay_and_real_time_features(
    traffic: Traffic, analyst: dict[str, str], db: sessionmaker[Session], tmp_path: Path
) -> None:
    client = traffic.client
    other = resident_id(7)
    for subject in (other, "4401960003"):
        flagged = client.post(
            "/api/v1/risk/flags",
            json={
                "subjectKind": "identity" if subject == other else "enterprise",
                "subjectKey": subject,
                "source": "platform" if subject == other else "payment",
                "kind": "identity_unverified",
                "score": 0.6,
            },
            headers=analyst,
        )
        assert flagged.status_code == 201, flagged.text
    for code in ("C", "B"):
        client.post(
            "/api/v1/risk/enterprise-classes",
            json={"enterpriseCode": "4401960002", "classCode": code},
            headers=analyst,
        )
    plan: list[dict[str, Any]] = [{"price": f"{190 + n}.00"} for n in range(10)]
    plan += [
        {"price": "40.00", "buyer": other, "address": "上海市浦东新区世纪大道1号"},
        {"price": "199.00", "buyer": other, "day": "20261112"},
        {"price": "199.00", "buyer": resident_id(8), "address": "上海市浦东新区世纪大道1号"},
        {"price": "199.00", "payer": resident_id(9)},  # rejected (C02.buyer), still seen
        {"price": "250.00", "day": "20270115", "phone": "13900000000"},
        {"price": "180.00", "day": "20261110", "gcode": "3304990000"},  # declared earlier
    ]
    for n, changes in enumerate(plan, start=1):
        traffic.send(n, **changes)
    with db() as s:
        _outcomes(s)
        live = {
            a.declaration_id: json.loads(a.features)
            for a in s.scalars(select(RiskAssessment).order_by(RiskAssessment.id))
        }
        expected = replayed(s)
        found = on_engine(batch.store_source(s))
        # the features real time stored, for every list, in decision order
        assert [r["declaration_id"] for r in found] == list(live)
        for row in found:
            assert {k: row[k] for k in live[row["declaration_id"]]} == live[row["declaration_id"]]
        assert found == expected
        assert sum(r["seized"] for r in found) == 1
        assert sum(r["inspected"] for r in found) == 1  # to 500; not 500 -> 501
        assert [r["label"] for r in found if r["label"] is not None] == [1, 1]
        assert any(r["unit_price_ratio"] is not None for r in found)
        assert any(r["address_buyers"] == 2.0 for r in found)
        # a window: history is cut at --until, rows come from --since
        late = declaration(db, 15, day="20270115").decl_date
        assert on_engine(batch.store_source(s), since=late) == replayed(s, since=late)
        early = date(2026, 11, 11)
        window = {"since": early, "until": early + timedelta(days=1)}
        cut = on_engine(batch.store_source(s, until=window["until"]), **window)
        assert cut == replayed(s, **window)
        assert 0 < len(cut) < len(found)
        # the same from a cbec export-data folder
        counts = exporting.export(s, tmp_path / "export", batch.TABLES)
        assert counts["risk_lists"] == len(found)
        exported = on_engine(Source.parquet(tmp_path / "export"))
        assert exported == expected
        assert on_engine(Source.parquet(tmp_path / "export"), **window) == cut


def test_on_a_simulated_day_the_batch_job_gives_what_real_time_stored(
    db: sessionmaker[Session], tmp_path: Path
) -> None:
    clear_day(db, tmp_path, Options(orders=200, seed=8, fraud_rate=0.25))
    with db() as s:
        live = {
            a.declaration_id: json.loads(a.features)
            for a in s.scalars(select(RiskAssessment).order_by(RiskAssessment.id))
        }
        found = on_engine(batch.store_source(s))
        assert found == replayed(s)
    assert len(found) > 150
    assert [r["declaration_id"] for r in found] == list(live)
    for row in found:
        stored = live[row["declaration_id"]]
        assert {k: row[k] for k in stored} == stored
    for name in ("buyer_lists_1d", "address_buyers", "phone_buyers", "payer_buyers"):
        assert max(r[name] for r in found) > 1, name
    assert not all(r["first_seen_consignee"] for r in found)
    assert any(r["unit_price_ratio"] is not None for r in found)


# -- the command ---------------------------------------------------------------------------


def test_the_command_writes_the_training_set_cbec_risk_train_learns_from(
    traffic: Traffic, db: sessionmaker[Session], store_env: None, tmp_path: Path
) -> None:
    first = date(2026, 11, 1)
    for n in range(20):  # two lists a day over ten days
        day = (first + timedelta(days=n // 2)).strftime("%Y%m%d")
        traffic.send(n + 1, day=day, buyer=resident_id(n % 3), price=f"{150 + 7 * n}.00")
    with db() as s:
        decided = s.scalars(select(Declaration).order_by(Declaration.id)).all()
        now = utcnow()
        for d in decided[::2]:  # one seized a day
            s.add(DeclarationEvent(declaration_id=d.id, from_status=500, to_status=502, at=now))
        s.commit()
        reference = tmp_path / "replayed.csv"
        assert history.write(history.replay(s), reference) == 20
    out = tmp_path / "features.csv"
    written = runner.invoke(app, ["risk", "features", "--out", str(out)])
    assert written.exit_code == 0, written.output
    assert "20 list(s) written" in written.output
    assert out.read_text("utf-8") == reference.read_text("utf-8")
    export = tmp_path / "export"
    assert runner.invoke(app, ["export-data", "--out", str(export)]).exit_code == 0
    from_export = tmp_path / "exported.csv"
    read = runner.invoke(
        app, ["risk", "features", "--out", str(from_export), "--data", str(export)]
    )
    assert read.exit_code == 0, read.output
    assert from_export.read_text("utf-8") == reference.read_text("utf-8")
    trained = runner.invoke(
        app,
        [
            "risk", "train", "--data", str(out), "--mapping", "cbec", "--name", "cbec",
            "--models-dir", str(tmp_path / "models"),
        ],
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert "saved cbec version 1" in trained.output
    parquet = tmp_path / "features.parquet"
    assert runner.invoke(app, ["risk", "features", "--out", str(parquet)]).exit_code == 0
    again = runner.invoke(
        app,
        [
            "risk", "train", "--data", str(parquet), "--mapping", "cbec", "--name", "cbec",
            "--models-dir", str(tmp_path / "models"),
        ],
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert "saved cbec version 2" in again.output
    first_run, second_run = (
        json.loads((tmp_path / "models" / "cbec" / v / "metrics.json").read_text("utf-8"))
        for v in ("1", "2")
    )
    assert first_run["valid"] == second_run["valid"]  # the same table, read from either file


def test_the_command_refuses_a_bad_engine_or_folder(tmp_path: Path) -> None:
    out = str(tmp_path / "f.csv")
    bad = runner.invoke(app, ["risk", "features", "--out", out, "--engine", "hadoop"])
    assert bad.exit_code == 1
    assert "--engine: 'hadoop' is not one of embedded, spark" in bad.output
    missing = runner.invoke(
        app, ["risk", "features", "--out", out, "--data", str(tmp_path / "nope")]
    )
    assert missing.exit_code == 1
    assert "--data: " in missing.output
    assert "is not a folder" in missing.output
    empty = runner.invoke(app, ["risk", "features", "--out", out, "--data", str(tmp_path)])
    assert empty.exit_code == 1
    assert "has no table risk_lists" in empty.output
    assert "cbec export-data --out" in empty.output
    wrong = runner.invoke(app, ["risk", "features", "--out", str(tmp_path / "f.txt")])
    assert wrong.exit_code == 1
    assert "a .csv or .parquet file name" in wrong.output
