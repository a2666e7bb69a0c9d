"""``cbec network ...``: the identity and transaction graph, consumer-end monitoring
detectors, smuggling networks, and the payment-company report."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from cbec.batch.commands import DataOption, EngineOption, engine_for
from cbec.batch.engine import EMBEDDED, Source
from cbec.batch.export import store_readers
from cbec.bounds import BIGINT_MAX
from cbec.commandline import fail, unit_of_work, writable_file, writing
from cbec.errors import BadRequest, CbecError, FieldError
from cbec.network import communities, components, detectors, frames, graph, service
from cbec.network.detectors import Thresholds
from cbec.network.payment_commands import app as payments_app
from cbec.sim.labels import read_labels

app = typer.Typer(
    help="Identity and transaction graph: detectors, networks, payment companies.",
    no_args_is_help=True,
)
app.add_typer(payments_app, name="payments")

console = Console()
CASE_THRESHOLD = communities.Settings().case_threshold
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _thresholds(**given: Any) -> Thresholds:
    return Thresholds(**{k: v for k, v in given.items() if v is not None})


@app.command("build")
def build() -> None:
    """Rebuild the graph from every decided list in the store (it is otherwise kept up to
    date as lists are decided)."""
    started = time.perf_counter()
    with unit_of_work() as session:
        nodes, edges = graph.rebuild(session)
    console.print(
        f"graph rebuilt: {nodes:,} nodes, {edges:,} edges in {time.perf_counter() - started:.1f} s"
    )


@app.command("detect")
def detect(
    detector: Annotated[
        list[str] | None,
        typer.Option("--detector", help=f"Only these ({', '.join(detectors.DETECTORS)})."),
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows shown.")] = 30,
    as_json: AsJson = False,
) -> None:
    """Run consumer-end monitoring's detectors over the graph and show what they flag
    (nothing is written; `cbec network run` writes the flags)."""
    unknown = sorted(set(detector or ()) - set(detectors.DETECTORS))
    if unknown:
        raise fail(
            BadRequest(
                "unknown detector",
                fields=[
                    FieldError(
                        "--detector",
                        "one_of",
                        f"{name!r} is not one of {', '.join(detectors.DETECTORS)}",
                    )
                    for name in unknown
                ],
            )
        )
    with unit_of_work() as session:
        graph = frames.from_store(session)
    found = detectors.detect(graph, only=set(detector) if detector else None)
    # subjects are blind indexes: show each person's masked label
    labels = dict(zip(graph.nodes["key"].to_list(), graph.nodes["label"].to_list(), strict=True))
    shown = found.head(limit).with_columns(
        pl.col("key").replace_strict(labels, default="", return_dtype=pl.String).alias("subject")
    )
    if as_json:
        print(json.dumps(shown.to_dicts(), ensure_ascii=False))
        return
    counts = found.group_by("detector").len().sort("len", descending=True)
    summary = Table("detector", "what it looks for", "identities flagged", title="detectors")
    for name, (_, what) in detectors.DETECTORS.items():
        n = counts.filter(pl.col("detector") == name)["len"].sum()
        summary.add_row(name, what, str(n))
    console.print(summary)
    table = Table("identity", "detector", "score", "why", title=f"top {limit}")
    for row in shown.iter_rows(named=True):
        table.add_row(row["subject"], row["detector"], f"{row['score']:.2f}", row["reason"])
    console.print(table)


@app.command("run")
def run(
    threshold: Annotated[
        float, typer.Option(help="Score from which a network becomes a case clue.")
    ] = CASE_THRESHOLD,
    no_cases: Annotated[bool, typer.Option("--no-cases", help="Open no case clues.")] = False,
    engine: EngineOption = EMBEDDED,
    as_json: AsJson = False,
) -> None:
    """Run the detectors (their flags replace the last run's in the risk database), find
    the networks, and open a case clue for each network scoring past the threshold. The
    component step runs on --engine; Leiden and the measures here."""
    settings = communities.Settings(case_threshold=threshold)
    with engine_for(engine) as batch, unit_of_work() as session:
        result = service.run(session, settings=settings, open_cases=not no_cases, engine=batch)
        summary = result.summary()
        rows = [
            (row.id, row.score, row.people, row.provinces, row.case_id) for row in result.stored
        ]
    if as_json:
        print(json.dumps(summary))
        return
    console.print(
        f"run {summary['run']}: {summary['nodes']:,} nodes, {summary['edges']:,} edges; "
        f"{summary['flags']} flags, {summary['networks']} networks, "
        f"{len(result.cases)} case clues, {summary['seconds']} s"
    )
    _networks_table(rows[:20])


@app.command("components")
def components_command(
    engine: EngineOption = EMBEDDED,
    data: DataOption = None,
    min_people: Annotated[
        int, typer.Option(min=1, help="People a component needs to be a candidate network.")
    ] = communities.Settings().min_people,
    out: Annotated[
        Path | None, typer.Option(help="Write key, component, people to this .parquet file.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """The batch component step of network discovery alone: connected components of
    people, addresses and phones with at least --min-people people, on --engine, from the
    store or from a `cbec export-data` folder (--data)."""
    if out is not None and out.suffix != ".parquet":
        raise fail(
            BadRequest(
                "unknown output format",
                fields=[FieldError("--out", "format", "a .parquet file name")],
            )
        )
    if out is not None:
        writable_file(out, "--out")
    started = time.perf_counter()
    with engine_for(engine) as batch:
        if data is not None:
            found = _components(batch, data, min_people)
        else:
            with unit_of_work() as session:
                source = Source(session=session, readers=store_readers())
                found = components.network_components(batch, source, min_people=min_people)
    seconds = round(time.perf_counter() - started, 3)
    if out is not None:
        with writing(out, "--out"):
            found.write_parquet(out)
    sizes = found.group_by("component").agg(pl.len().alias("nodes"), pl.first("people"))
    summary = {
        "engine": engine,
        "components": sizes.height,
        "nodes": found.height,
        "people": int(sizes["people"].sum()) if sizes.height else 0,
        "largest": int(sizes["people"].max() or 0) if sizes.height else 0,  # type: ignore[arg-type]
        "seconds": seconds,
    }
    if as_json:
        print(json.dumps(summary))
        return
    console.print(
        f"{summary['components']} components with at least {min_people} people "
        f"({summary['people']} people, {summary['nodes']} nodes; largest "
        f"{summary['largest']} people) on {engine} in {seconds} s"
    )


def _components(batch: Any, data: Path, min_people: int) -> pl.DataFrame:
    try:
        return components.network_components(batch, Source.parquet(data), min_people=min_people)
    except CbecError as exc:
        raise fail(exc) from None


def _networks_table(rows: list[tuple[int, float, int, int, int | None]]) -> None:
    table = Table("network", "score", "people", "provinces", "case", title="networks")
    for network_id, score, people, provinces, case_id in rows:
        table.add_row(
            str(network_id), f"{score:.2f}", str(people), str(provinces), str(case_id or "")
        )
    console.print(table)


@app.command("networks")
def networks(
    limit: Annotated[int, typer.Option(help="Rows shown.")] = 20, as_json: AsJson = False
) -> None:
    """The networks of the latest run, best first."""
    with unit_of_work() as session:
        rows = service.networks(session, limit=limit)
        out = [
            {
                "id": r.id,
                "score": r.score,
                "people": r.people,
                "addresses": r.addresses,
                "phones": r.phones,
                "provinces": r.provinces,
                "caseId": r.case_id,
                **json.loads(r.measures),
            }
            for r in rows
        ]
    if as_json:
        print(json.dumps(out, ensure_ascii=False))
        return
    _networks_table([(o["id"], o["score"], o["people"], o["provinces"], o["caseId"]) for o in out])


@app.command("show")
def show(
    network_id: Annotated[int, typer.Argument(min=1, max=BIGINT_MAX, help="The network's id.")],
    svg: Annotated[
        Path | None, typer.Option(help="Write the picture of the graph (SVG) to this file.")
    ] = None,
) -> None:
    """One network: its measures, each one's contribution to its score, its members
    (masked), and optionally its picture."""
    if svg is not None:
        writable_file(svg, "--svg")
    with unit_of_work() as session:
        row = service.network(session, network_id)
        measures = json.loads(row.measures)
        members = service.members(session, row)
        picture = service.picture_of(session, row) if svg else None
        score, case_id = row.score, row.case_id
    console.print(f"network {network_id}: score {score:.2f}, case {case_id or '-'}")
    table = Table("measure", "value", "contribution")
    for name, value in measures["measures"].items():
        table.add_row(name, str(value), str(measures["contributions"].get(name, "")))
    console.print(table)
    console.print(f"new members per week: {measures['newMembersPerWeek']}")
    console.print(", ".join(f"{m['kind']} {m['label']}" for m in members[:60]))
    if svg is not None and picture is not None:
        with writing(svg, "--svg"):
            svg.write_text(picture, encoding="utf-8")
        console.print(f"picture → {svg}")


@app.command("evaluate")
def evaluate(
    labels: Annotated[Path, typer.Option(help="labels.json of the simulated day(s) ingested.")],
    threshold: Annotated[
        float, typer.Option(help="Score from which a network counts as found.")
    ] = CASE_THRESHOLD,
    as_json: AsJson = False,
) -> None:
    """Precision and recall of the flagged identities and of the networks found, against a
    simulated day's ground truth (nothing is written)."""
    try:
        truth = read_labels(labels, f"--labels {labels}")
    except CbecError as exc:
        raise fail(exc) from None
    with unit_of_work() as session:
        graph_frames = frames.from_store(session)
    flags = detectors.detect(graph_frames)
    found = communities.discover(graph_frames, detectors.strongest(flags))
    subjects = dict(
        zip(
            graph_frames.nodes["key"].to_list(),
            graph_frames.nodes["subject"].to_list(),
            strict=True,
        )
    )
    report = service.evaluate(flags, found, subjects, truth, threshold)
    if as_json:
        print(json.dumps(report, ensure_ascii=False))
        return
    table = Table("what", "flagged", "relevant", "hits", "precision", "recall", title="evaluation")
    parts = [
        ("detectors (any identity label)", report["detectors"]),
        *((f"  {k}", v) for k, v in report["perDetector"].items()),
        ("networks (ring and pool members)", report["networks"]),
    ]
    for name, part in parts:
        table.add_row(
            name,
            str(part["flagged"]),
            str(part["relevant"]),
            str(part["hits"]),
            f"{part['precision']:.3f}",
            f"{part['recall']:.3f}",
        )
    console.print(table)
    ring = report["ringMembers"]
    console.print(
        f"ring members: recall {ring['recall']} at precision {ring['precision']} "
        f"({ring['members']} members; target >= 0.9 at >= 0.9)"
    )
    for match in report["labelledNetworks"]:
        console.print(
            f"  {match['pattern']}: {match['found']}/{match['identities']} identities in one "
            f"network of {match['networkPeople']} people (score {match['score']})"
        )
