"""The batch jobs on Apache Spark (local mode) give what the embedded engine gives.

One Spark session serves the module (started once: the JVM takes several seconds). The
data is a small day from the simulator: its identity graph, built in memory from the
orders, payments and waybills, for the component step of network discovery.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from cbec.batch.engine import QUICK_START_CONF, Embedded, Source, Spark
from cbec.batch.export import store_readers
from cbec.catalog import service as catalog_service
from cbec.clearance import wiring
from cbec.cli import app
from cbec.config import get_settings
from cbec.intake.commands import load_and_prepare, locate
from cbec.intake.prepare import Prepared
from cbec.intake.service import Intake
from cbec.messages.models import CEB311Message, CEB411Message, CEB511Message
from cbec.network import communities, components, frames, graph, service
from cbec.network.graph import GraphBuffer
from cbec.registry.service import import_registry
from cbec.risk import wiring as risk_wiring
from cbec.sim.output import run as simulate
from cbec.sim.simulation import Options
from cbec.store import make_engine, make_session_factory, upgrade

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
    day = folder / "day"
    simulate(Options(orders=300, seed=8, fraud_rate=0.25), day)
    engine = make_engine(f"sqlite:///{folder / 'cbec.db'}")
    upgrade(engine)
    factory = make_session_factory(engine)
    settings = get_settings()
    listener = wiring.listener_factory(
        settings,
        assessor=risk_wiring.assessor_factory(settings, observers=(graph.Observer,)),
    )
    with factory() as s:
        catalog_service.seed(s)
        import_registry(s, json.loads((day / "registry.json").read_text("utf-8")))
        s.commit()
    locators = locate(day / "messages")
    with factory() as s:
        intake = Intake(s, [graph.DocumentObserver(s), listener(s)])
        intake.submit(load_and_prepare(locators, 4 << 20))
        s.commit()
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
