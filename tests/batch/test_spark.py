"""The batch jobs on Apache Spark (local mode) give what the embedded engine gives.

One Spark session serves the module (started once: the JVM takes several seconds). The
data is a small day from the simulator: its identity graph, built in memory from the
orders, payments and waybills, for the component step of network discovery; and a small
day cleared into a SQLite store, for network runs, enterprise portraits and risk features
over history.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cbec.audit.service import Actor
from cbec.batch import export as exporting
from cbec.batch.engine import QUICK_START_CONF, Embedded, Source, Spark
from cbec.batch.export import store_readers
from cbec.cli import app
from cbec.config import get_settings
from cbec.intake.commands import load_and_prepare, locate
from cbec.intake.prepare import Prepared
from cbec.messages.fields import CST
from cbec.messages.models import CEB311Message, CEB411Message, CEB511Message
from cbec.network import communities, components, frames, service
from cbec.network.graph import GraphBuffer
from cbec.portrait import batch as portrait_batch
from cbec.portrait import service as portrait_service
from cbec.portrait.score import portrait
from cbec.risk import batch as risk_batch
from cbec.risk import history
from cbec.sim.output import run as simulate
from cbec.sim.simulation import Options
from cbec.store import make_engine, make_session_factory, upgrade
from cbec.store.models import (
    Declaration,
    DeclarationEvent,
    RiskAssessment,
    RiskFlag,
    TaxStatement,
    utcnow,
)
from tests.batch import portrait_reference
from tests.batch.days import clear_day

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java 17+ (no java)"),
    # py4j leaves its gateway sockets to the garbage collector
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(scope="module")
def spark() -> Iterator[Spark]:
    engine = Spark("local[2]", conf=QUICK_START_CONF)
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def day_graph(tmp_path_factory: pytest.TempPathFactory) -> frames.Frames:
    out = tmp_path_factory.mktemp("sparkday") / "day"
    simulate(Options(orders=400, seed=5, fraud_rate=0.25), out)
    buffer = GraphBuffer()
    for item in load_and_prepare(locate(out / "messages"), 4 << 20):
        if isinstance(item, Prepared) and isinstance(
            item.message, CEB311Message | CEB411Message | CEB511Message
        ):
            buffer.add_document(item.message)
    return frames.from_buffer(buffer)


def _source(graph: frames.Frames) -> Source:
    return Source(
        frames={
            components.NODES: graph.nodes.select("key", "kind"),
            components.EDGES: graph.edges.select("a", "b", "kind"),
        }
    )


def _summary(found: list[communities.Found]) -> list[tuple[str, float, int, list[str]]]:
    return [(f.hub, f.score, f.people, sorted(f.members)) for f in found]


def test_network_components_on_spark_equal_the_embedded_engine_and_igraph(
    spark: Spark, day_graph: frames.Frames, tmp_path: Path
) -> None:
    source = _source(day_graph)
    with Embedded() as embedded:
        local = components.network_components(embedded, source, min_people=2)
    on_spark = components.network_components(spark, source, min_people=2)
    assert local.height > 50
    assert local["component"].n_unique() > 5
    assert on_spark.equals(local)
    # every component is labelled by its smallest key and holds what igraph finds
    smallest = local.group_by("component").agg(pl.col("key").min())
    assert (smallest["component"] == smallest["key"]).all()
    found = {f.hub: f for f in communities.discover(day_graph)}  # igraph's components
    batch = communities.discover(day_graph, components=on_spark)
    assert _summary(batch) == _summary(list(found.values()))
    assert batch
    # the same from a Parquet export (Spark reads its tables from Parquet in any case)
    for name, frame in source.frames.items():
        frame.write_parquet(tmp_path / f"{name}.parquet")
    with Embedded() as embedded:
        exported = components.network_components(embedded, Source.parquet(tmp_path), min_people=2)
    assert exported.equals(local)


# -- from the store and from a Parquet export, through the commands --------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A SQLite store holding a small simulated day, cleared with risk control (the
    identity graph grows as its lists are decided)."""
    folder = tmp_path_factory.mktemp("sparkstore")
    engine = make_engine(f"sqlite:///{folder / 'cbec.db'}")
    upgrade(engine)
    clear_day(make_session_factory(engine), folder, Options(orders=300, seed=8, fraud_rate=0.25))
    yield engine
    engine.dispose()


def _networks(result: service.RunResult) -> list[tuple[str, float, int, list[str]]]:
    return _summary(result.networks)


def test_export_data_and_a_network_run_on_spark_equal_the_embedded_engine(
    spark: Spark, store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CBEC_DATABASE_URL", store.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    runner = CliRunner()
    out = tmp_path / "export"
    exported = runner.invoke(app, ["export-data", "--out", str(out), "--json"])
    assert exported.exit_code == 0, exported.output
    counts = json.loads(exported.output)["tables"]
    assert counts["network_nodes"] > 300
    assert counts["network_edges"] > counts["network_nodes"]
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["tables"] == counts
    nodes = pl.read_parquet(out / "network_nodes.parquet")
    assert nodes.height == counts["network_nodes"]
    assert {"label", "subject"}.isdisjoint(nodes.columns)  # no personal data
    # the component step: Spark over the export = the embedded engine over the store
    factory = make_session_factory(store)
    with factory() as s, Embedded() as embedded:
        from_store = components.network_components(
            embedded, Source(session=s, readers=store_readers())
        )
    on_spark = components.network_components(spark, Source.parquet(out))
    assert from_store.height > 0
    assert on_spark.equals(from_store)
    # a whole run (detectors, components, Leiden, measures) with either engine
    with factory() as s:
        embedded_run = service.run(s, engine=None, open_cases=False)
        s.rollback()
    with factory() as s:
        spark_run = service.run(s, engine=spark, open_cases=False)
        settings = json.loads(spark_run.run.settings)
        s.rollback()
    assert settings["engine"] == "spark"
    assert _networks(spark_run) == _networks(embedded_run)
    assert spark_run.networks
    # the command reads the export on the embedded engine too
    written = tmp_path / "c.parquet"
    listed = runner.invoke(
        app, ["network", "components", "--data", str(out), "--json", "--out", str(written)]
    )
    assert listed.exit_code == 0, listed.output
    summary = json.loads(listed.output)
    assert summary["nodes"] == from_store.height
    assert summary["components"] == from_store["component"].n_unique()
    assert pl.read_parquet(written).equals(from_store)
    get_settings.cache_clear()


def test_batch_commands_refuse_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    bad_engine = runner.invoke(app, ["network", "components", "--engine", "hadoop"])
    assert bad_engine.exit_code == 1
    assert "--engine: 'hadoop' is not one of embedded, spark" in bad_engine.output
    missing = runner.invoke(app, ["network", "components", "--data", str(tmp_path / "nope")])
    assert missing.exit_code == 1
    assert "is not a folder" in missing.output
    empty = runner.invoke(app, ["network", "components", "--data", str(tmp_path)])
    assert empty.exit_code == 1
    assert "has no table network_nodes" in empty.output
    assert "cbec export-data --out" in empty.output
    wrong = runner.invoke(app, ["network", "components", "--out", str(tmp_path / "c.csv")])
    assert wrong.exit_code == 1
    assert "--out" in wrong.output
    table = runner.invoke(app, ["export-data", "--out", str(tmp_path / "x"), "--table", "nope"])
    assert table.exit_code == 1
    assert "--table: 'nope' is not one of" in table.output


# -- enterprise portraits ---------------------------------------------------------------------


def _enrich(s: Session) -> tuple[datetime, datetime]:
    """Give the stored day what a simulated day lacks for portraits (officers' outcomes,
    lists of the window before, tax statements, consumer and network flags); the window
    [start, end) of the rating."""
    now = utcnow()
    end, start = now + timedelta(minutes=1), now - timedelta(days=365)
    decided = s.scalars(
        select(Declaration).where(Declaration.decided_at.is_not(None)).order_by(Declaration.id)
    ).all()
    assert len(decided) > 150
    moves = [(300, 100), (500, 502), (500, 501), (500, 800), (300, 800), (500, 503)]
    for i, d in enumerate(decided[:36]):
        s.add(
            DeclarationEvent(
                declaration_id=d.id, from_status=moves[i % 6][0], to_status=moves[i % 6][1], at=now
            )
        )
    for d in decided[36:40]:  # rejected for a wrong tax
        d.status = 100
        d.findings = json.dumps([{"rule": "C10.tax", "path": "x", "message": "tax"}])
    for d in decided[40:70]:  # decided in the window before
        d.decided_at = start - timedelta(days=30)
    d0 = decided[80]
    guarantors = [d0.ebc_code, d0.agent_code, decided[90].ebc_code]
    today = end.astimezone(CST).date()
    since = start.astimezone(CST).date()
    plans = [  # due, paid_on, total, paid
        (today - timedelta(days=40), today - timedelta(days=45), "100.50", "100.50"),  # on time
        (today - timedelta(days=60), today - timedelta(days=52), "80", "80"),  # 8 days late
        (today - timedelta(days=35), None, "70.25", "20"),  # overdue 35 days
        (since - timedelta(days=30), since - timedelta(days=3), "10", "10"),  # settled before
        (since - timedelta(days=30), since + timedelta(days=4), "12", "12"),  # paid in it
        (today + timedelta(days=3), None, "9", "0"),  # not yet due
    ]
    for g, code in enumerate(guarantors):
        for p, (due, paid_on, total, paid) in enumerate(plans[g:]):
            s.add(
                TaxStatement(
                    guarantor_code=code,
                    period=f"20{g:02d}{p + 1:02d}",
                    bills=1,
                    customs_tax=Decimal(0),
                    value_added_tax=Decimal(total),
                    consumption_tax=Decimal(0),
                    total=Decimal(total),
                    due_on=due,
                    paid=Decimal(paid),
                    paid_on=paid_on,
                    created_by="test",
                )
            )
    flags = [
        ("identity", decided[100].buyer_key, "consumer", "dispute", 1.0, None),
        ("identity", decided[101].buyer_key, "consumer", "identity_misuse", 1.0, None),
        ("identity", decided[102].buyer_key, "consumer", "dispute", 1.0, now - timedelta(days=1)),
        ("identity", decided[103].buyer_key, "analyst", "note", 1.0, None),
        ("enterprise", decided[100].ebp_code, "consumer", "dispute", 1.0, None),
        ("enterprise", decided[110].ebc_code, "consumer", "dispute", 1.0, None),
        ("enterprise", decided[110].ebc_code, "consumer", "dispute", 1.0, None),
        ("enterprise", decided[120].ebc_code, "network", "ring", 0.7, None),
        ("enterprise", decided[120].ebc_code, "network", "ring", 0.4, None),
        ("enterprise", decided[121].agent_code, "network", "ring", 0.9, now - timedelta(hours=1)),
    ]
    for kind, key, source, what, score, valid_to in flags:
        s.add(
            RiskFlag(
                subject_kind=kind,
                subject_key=key,
                source=source,
                kind=what,
                score=score,
                valid_from=now - timedelta(days=2),
                valid_to=valid_to,
                created_by="test",
            )
        )
    s.flush()
    return start, end


def _items(s: Session, rating_id: int) -> list[tuple[str, str | None, str, float, str, str]]:
    return [
        (i.enterprise_code, i.current_class, i.proposed_class, i.score, i.reason, i.portrait)
        for i in portrait_service.items(s, rating_id)
    ]


def test_portrait_features_on_spark_equal_the_embedded_engine_and_the_python_reference(
    spark: Spark, store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with make_session_factory(store)() as s:
        start, end = _enrich(s)
        expected = portrait_reference.facts(s, start, end)
        with Embedded() as embedded:
            local = portrait_batch.features(
                embedded, portrait_batch.store_source(s, start, end), start, end
            )
            assert portrait_batch.facts(local) == expected
            as_of = end.astimezone(CST).date()
            for code, f in portrait_batch.facts(local).items():  # money to the digit shown
                assert portrait(f, as_of).as_dict() == portrait(expected[code], as_of).as_dict()
            # only some enterprises (with none of their lists among them too)
            some = [*sorted(expected)[:3], "4401999999"]
            assert portrait_batch.portrait_facts(
                embedded, portrait_batch.store_source(s, start, end), start, end, some
            ) == portrait_reference.facts(s, start, end, some)
        # the data exercises every feature
        facts = list(expected.values())
        for name in (
            "lists_before",
            "rejected",
            "reviewed",
            "review_rejected",
            "inspected",
            "discrepancies",
            "seizures",
            "tax_misdeclared",
            "captive_lists",
            "disputed_buyers",
            "disputes",
            "tax_statements",
            "tax_paid_late",
            "tax_overdue",
            "network_flags",
        ):
            assert any(getattr(f, name) for f in facts), name
        assert len(facts) > 10
        # Spark from the store, and from a Parquet export, = the embedded engine
        on_spark = portrait_batch.features(
            spark, portrait_batch.store_source(s, start, end), start, end
        )
        assert on_spark.equals(local)
        out = tmp_path / "export"
        counts = exporting.export(s, out)
        for table in portrait_batch.TABLES:
            assert counts[table] > 0, table
        declared = pl.read_parquet(out / "declarations.parquet")
        assert {"buyer_id_number", "buyer_id_sealed", "findings"}.isdisjoint(declared.columns)
        assert {"subject_label", "reason"}.isdisjoint(
            pl.read_parquet(out / "risk_flags.parquet").columns
        )
        exported = portrait_batch.features(spark, Source.parquet(out), start, end)
        assert exported.equals(local)
        # a whole proposal (scores, classes, reasons, portraits) on either engine
        embedded_rating = portrait_service.propose(s, start, end, by=Actor.system("test"))
        spark_rating = portrait_service.propose(
            s, start, end, by=Actor.system("test"), engine=spark, data=out
        )
        proposed = _items(s, embedded_rating.id)
        assert _items(s, spark_rating.id) == proposed
        assert len(proposed) == len(expected)
        assert {i[2] for i in proposed} >= {"B", "C"}
        s.rollback()
    # the command, on the export (the embedded engine), proposes the same
    monkeypatch.setenv("CBEC_DATABASE_URL", store.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    runner = CliRunner()
    window = ["--from", start.isoformat(), "--to", end.isoformat()]
    rated = runner.invoke(app, ["portrait", "rate", *window, "--data", str(out), "--json"])
    assert rated.exit_code == 0, rated.output
    items = json.loads(rated.output)["items"]
    by_command = [
        (i["enterpriseCode"], i["currentClass"], i["proposedClass"], i["score"]) for i in items
    ]
    assert by_command == [p[:4] for p in proposed]
    bad = runner.invoke(app, ["portrait", "rate", "--engine", "hadoop"])
    assert bad.exit_code == 1
    assert "--engine: 'hadoop' is not one of embedded, spark" in bad.output
    empty = runner.invoke(app, ["portrait", "rate", "--data", str(tmp_path)])
    assert empty.exit_code == 1
    assert "has no table declarations" in empty.output
    get_settings.cache_clear()


# -- risk features over history (the training set) --------------------------------------------


def test_risk_features_on_spark_equal_the_embedded_engine_the_replay_and_real_time(
    spark: Spark, store: Engine, tmp_path: Path
) -> None:
    with make_session_factory(store)() as s:
        live = {
            a.declaration_id: json.loads(a.features)
            for a in s.scalars(select(RiskAssessment).order_by(RiskAssessment.id))
        }
        expected = [history.record(r) for r in history.replay(s)]
        with Embedded() as embedded:
            local = list(risk_batch.training_set(embedded, risk_batch.store_source(s)))
        assert local == expected
        assert len(local) > 250
        for row in local:  # what real time stored when it decided the list
            stored = live[row["declaration_id"]]
            assert {k: row[k] for k in stored} == stored
        # the day exercises the aggregates
        assert max(r["buyer_lists_1d"] for r in local) > 1
        assert max(r["address_buyers"] for r in local) > 1
        assert max(r["phone_buyers"] for r in local) > 1
        assert max(r["payer_buyers"] for r in local) > 1
        assert max(r["buyer_paid_by_other_before"] for r in local) > 0
        assert not all(r["first_seen_consignee"] for r in local)
        assert sum(r["unit_price_ratio"] is not None for r in local) > 10
        assert any(r["inspected"] for r in local)
        # Spark, from the store and from a Parquet export, gives the same rows
        on_spark = list(risk_batch.training_set(spark, risk_batch.store_source(s)))
        assert on_spark == local
        out = tmp_path / "export"
        counts = exporting.export(s, out, risk_batch.TABLES)
        assert counts["risk_lists"] == len(local)
        lists = pl.read_parquet(out / "risk_lists.parquet")
        assert {"buyer_id", "payer_id", "consignee_address", "consignee_phone"}.isdisjoint(
            lists.columns
        )
        exported = list(risk_batch.training_set(spark, Source.parquet(out)))
        assert exported == local
