"""The identity graph, consumer-end monitoring and network discovery.

Addresses written in different ways meet; a simulated day cleared with risk control builds
the graph as lists are decided, and rebuilding it from the store gives the same graph; the
detectors and the networks find the injected identity pools and the smuggling ring (with
the precision and recall the issue asks for); a run writes flags into the risk database,
which the risk features read, and opens a case clue with a picture; the API shows it to the
roles that may see it, masked; the growth measure sees fission over weeks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from cbec.audit.service import Actor
from cbec.catalog import service as catalog_service
from cbec.clearance import wiring
from cbec.cli import app
from cbec.config import get_settings
from cbec.intake.commands import load_and_prepare, locate
from cbec.intake.service import Intake
from cbec.network import address, communities, detectors, frames, graph, service
from cbec.network.graph import Edge, GraphBuffer, Node
from cbec.privacy import blind_id
from cbec.registry.service import import_registry
from cbec.risk import cases
from cbec.risk import wiring as risk_wiring
from cbec.risk.features import FEATURES, pseudonym, use_pseudonym_key
from cbec.sim.fraud import address_variant
from cbec.sim.output import run as simulate
from cbec.sim.regions import PROVINCES
from cbec.sim.simulation import Options
from cbec.store.models import (
    Case,
    CaseEvidence,
    CaseLabel,
    Declaration,
    NetworkEdge,
    NetworkNode,
    RiskFlag,
)
from tests.officers.factories import app_client, login, staff, use_cheap_hasher
from tests.web.conftest import sign_in

# -- addresses -------------------------------------------------------------------------------


def test_every_way_the_simulator_writes_an_address_is_one_node() -> None:
    street = "青年街793号紫荆家园2栋3单元1204室"
    for province in PROVINCES:
        for district in province.districts:
            keys = {
                address.normalise(address_variant(district, street, v), district.code).key
                for v in range(5)
            }
            assert len(keys) == 1, (district, keys)


def test_different_streets_and_districts_stay_apart() -> None:
    a = address.normalise("广东省广州市天河区体育西路88号", "440106")
    assert a != address.normalise("广东省广州市天河区体育西路89号", "440106")
    assert a != address.normalise("广东省广州市越秀区体育西路88号", "440104")
    # without a district code the street still meets its spelling variants
    assert address.normalise("广州市天河区 体育西路８８号").key == (
        address.normalise("广东省广州市天河区体育西路88#").key
    )


# -- a simulated day, cleared with risk control --------------------------------------------


@dataclass
class Day:
    path: Path
    labels: dict[str, Any]


@pytest.fixture(scope="module")
def sim_day(tmp_path_factory: pytest.TempPathFactory) -> Day:
    out = tmp_path_factory.mktemp("netday") / "day"
    simulate(Options(orders=700, seed=12, fraud_rate=0.2), out)
    return Day(out, json.loads((out / "labels.json").read_text(encoding="utf-8")))


@pytest.fixture
def cleared(db: sessionmaker[Session], sim_day: Day) -> Iterator[Day]:
    settings = get_settings()
    listener = wiring.listener_factory(
        settings,
        assessor=risk_wiring.assessor_factory(settings, observers=(graph.Observer,)),
    )
    with db() as s:
        catalog_service.seed(s)
        import_registry(s, json.loads((sim_day.path / "registry.json").read_text("utf-8")))
        s.commit()
    locators = locate(sim_day.path / "messages")
    with db() as s:
        intake = Intake(s, [graph.DocumentObserver(s), listener(s)])
        for start in range(0, len(locators), 500):
            intake.submit(load_and_prepare(locators[start : start + 500], 4 << 20))
        s.commit()
    return sim_day


def _graph_rows(s: Session) -> tuple[dict[str, tuple[Any, ...]], dict[tuple[str, ...], int]]:
    nodes = {n.key: (n.kind, n.lists, n.cents, n.subject) for n in s.scalars(select(NetworkNode))}
    edges = {(e.a, e.b, e.kind): e.weight for e in s.scalars(select(NetworkEdge))}
    return nodes, edges


def test_the_graph_as_lists_are_decided_its_rebuild_detectors_networks_and_a_run(
    db: sessionmaker[Session], cleared: Day
) -> None:
    with db() as s:
        live = _graph_rows(s)
        assert len(live[0]) > 500
        assert len(live[1]) > 1000
        nodes, edges = graph.rebuild(s)
        s.commit()
        rebuilt = _graph_rows(s)
    assert (nodes, edges) == (len(live[0]), len(live[1]))
    assert rebuilt == live
    _detectors_and_networks_find_the_pools_and_the_ring(db, cleared)
    _a_run_flags_identities_and_opens_a_case_with_a_picture(db, cleared)


def _detectors_and_networks_find_the_pools_and_the_ring(
    db: sessionmaker[Session], cleared: Day
) -> None:
    with db() as s:
        graph_frames = frames.from_store(s)
    flags = detectors.detect(graph_frames)
    # the graph names people by the blind index of their ID number
    identities = {blind_id(i) for i in cleared.labels["identities"]}
    shared = flags.filter(pl.col("detector") == "shared_phone")
    assert shared.height >= 5
    assert all(n in identities for n in shared["subject"].to_list())
    found = communities.discover(graph_frames, detectors.strongest(flags))
    subjects = dict(
        zip(
            graph_frames.nodes["key"].to_list(),
            graph_frames.nodes["subject"].to_list(),
            strict=False,
        )
    )
    report = service.evaluate(flags, found, subjects, cleared.labels, 0.8)
    ring = report["ringMembers"]
    assert ring["members"] >= 10
    assert ring["recall"] >= 0.9, report
    assert ring["precision"] >= 0.9, report
    rings = [m for m in report["labelledNetworks"] if m["pattern"] == "smuggling_ring"]
    assert rings
    assert all(m["found"] >= 0.9 * m["identities"] for m in rings)
    best = found[0]
    assert best.people >= 10
    assert best.provinces >= 5
    assert set(best.contributions) == set(communities.WEIGHTS)


def _a_run_flags_identities_and_opens_a_case_with_a_picture(
    db: sessionmaker[Session], cleared: Day
) -> None:
    with db() as s:
        first = service.run(s)
        s.commit()
        second = service.run(s)
        s.commit()
        live = s.scalars(
            select(RiskFlag).where(RiskFlag.source == "network", RiskFlag.valid_to.is_(None))
        ).all()
        closed = s.scalar(
            select(func.count())
            .select_from(RiskFlag)
            .where(RiskFlag.source == "network", RiskFlag.valid_to.is_not(None))
        )
        assert len(live) == second.run.flags == first.run.flags  # the old ones closed
        assert closed == first.run.flags
        assert first.cases
        assert first.cases == second.cases
        case = s.get(Case, first.cases[0])
        assert case is not None
        assert case.source == "network"
        evidence = s.scalars(select(CaseEvidence).where(CaseEvidence.case_id == case.id)).all()
        picture = next(json.loads(e.details) for e in evidence if e.kind == "network")
        assert picture["picture"].startswith("<svg")
        assert picture["people"] >= 3
        members = [e.ref for e in evidence if e.ref.startswith("member:")]
        ring = {
            blind_id(i) for i, t in cleared.labels["identities"].items() if "smuggling_ring" in t
        }
        assert ring & {m.removeprefix("member:") for m in members}
        # the investigator gets the members' lists, and confirming the case labels them
        bought = s.scalars(
            select(Declaration)
            .where(Declaration.buyer_key.in_([m.removeprefix("member:") for m in members]))
            .order_by(Declaration.id)
        ).all()
        assert bought
        assert sorted(e.ref for e in evidence if e.kind == "declaration") == sorted(
            d.invt_no or d.business_key for d in bought
        )
        cases.close(s, case.id, "confirmed", "ring of bought identities", by=Actor.officer("z"))
        labelled = s.scalars(select(CaseLabel.declaration_id).where(CaseLabel.case_id == case.id))
        assert sorted(labelled) == [d.id for d in bought]
        s.rollback()
        # flags name identities by blind index, as risk control's features look them up
        assert {f.subject_key for f in live} <= {
            blind_id(i) for i in cleared.labels["identities"]
        } | {
            s.scalar(select(NetworkNode.subject).where(NetworkNode.key == key))
            for key in first.flags["key"].to_list()
        }
    assert "network_flags" in FEATURES


def test_the_api_and_the_command_line_show_networks_to_analysts_masked(
    db: sessionmaker[Session], engine: Engine, cleared: Day, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_cheap_hasher(monkeypatch)
    staff(db, ana=["risk_analyst"], rev=["reviewer"])
    client = app_client(engine)
    analyst = login(client, "ana")
    reviewer = login(client, "rev")
    assert client.post("/api/v1/network/runs", headers=reviewer).status_code == 403
    ran = client.post("/api/v1/network/runs", headers=analyst)
    assert ran.status_code == 200, ran.text
    assert ran.json()["networks"] >= 1
    assert ran.json()["cases"]
    listed = client.get("/api/v1/network/networks", headers=analyst).json()
    top = listed[0]
    assert top["score"] >= 0.8
    assert top["measures"]["people"] >= 3
    shown = client.get(f"/api/v1/network/networks/{top['id']}", headers=analyst).json()
    ids = set(cleared.labels["identities"])
    body = json.dumps(shown, ensure_ascii=False)
    assert not any(i in body for i in ids)  # masked
    assert any(m["kind"] == "person" and "*" in m["label"] for m in shown["members"])
    svg = client.get(f"/api/v1/network/networks/{top['id']}/picture.svg", headers=analyst)
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.count("<circle") == len(shown["members"])
    flags = client.get("/api/v1/network/flags?detector=shared_phone", headers=analyst).json()
    assert flags
    assert all("*" in f["identity"] for f in flags)
    bad = client.get("/api/v1/network/flags?detector=nope", headers=analyst)
    assert bad.status_code == 400
    assert bad.json()["fields"][0]["path"] == "detector"
    _the_networks_page_shows_the_ring_to_analysts_only(engine, top["id"], ids)
    _the_command_line_runs_and_evaluates(cleared, engine, monkeypatch)


def _the_networks_page_shows_the_ring_to_analysts_only(
    engine: Engine, network_id: int, ids: set[str]
) -> None:
    page = app_client(engine)
    sign_in(page, "rev")
    assert page.get("/networks").status_code == 403
    browser = app_client(engine)
    sign_in(browser, "ana")
    shown = browser.get(f"/networks?id={network_id}")
    assert shown.status_code == 200
    assert "<svg" in shown.text
    assert f'href="/networks?id={network_id}"' in shown.text
    assert not any(i in shown.text for i in ids)  # masked
    ran = browser.post("/networks/run", follow_redirects=False)
    assert ran.status_code == 303
    assert 'href="/networks"' in browser.get("/workbench").text  # in the navigation


def _the_command_line_runs_and_evaluates(
    cleared: Day, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CBEC_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    get_settings.cache_clear()
    runner = CliRunner()
    ran = runner.invoke(app, ["network", "run", "--json"])
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.output)["networks"] >= 1
    evaluated = runner.invoke(
        app, ["network", "evaluate", "--labels", str(cleared.path / "labels.json"), "--json"]
    )
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.output)
    assert report["ringMembers"]["recall"] >= 0.9
    unknown = runner.invoke(app, ["network", "detect", "--detector", "nope"])
    assert unknown.exit_code == 1
    assert "--detector" in unknown.output
    get_settings.cache_clear()


# -- measures on a hand-made graph ---------------------------------------------------------


def _person(key: str, at: datetime, province: str) -> Node:
    return Node(key, "person", key, f"id-{key}", province, province + "0101", 1990, at, at, 1, 100)


def test_growth_sees_a_network_that_doubles_in_its_last_week() -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    buffer = GraphBuffer()
    drop = Node("a:drop", "address", "drop", "", "44", "440106", None, start, start, 0, 0)
    receiver = Node("t:recv", "phone", "138****0000", "", "", "", None, start, start, 0, 0)
    buffer.nodes.update({drop.key: drop, receiver.key: receiver})
    for i in range(12):  # 4 members in the first weeks, 8 new in the last one
        at = start + timedelta(days=3 * i) if i < 4 else start + timedelta(days=40, hours=i)
        person = _person(f"p:{i}", at, f"{11 + i}")
        own = Node(f"t:{i}", "phone", "", "", "", "", None, at, at, 0, 0)
        buffer.nodes.update({person.key: person, own.key: own})
        for target, kind in ((drop, "ships_to"), (receiver, "ship_phone"), (own, "own_phone")):
            buffer.edges[(person.key, target.key, kind)] = Edge(
                person.key, target.key, kind, at, at
            )
    found = communities.discover(frames.from_buffer(buffer))
    assert len(found) == 1
    network = found[0]
    assert network.people == 12
    assert network.provinces == 12
    assert network.measures["growth"] == 2.0  # 8 new against 4 before
    assert sum(n for _, n in network.weekly) == 12
    assert len(network.weekly) >= 3
    # without the newcomers it scores lower
    quiet = GraphBuffer()
    for key, node in buffer.nodes.items():
        if not key[2:].isdigit() or int(key[2:]) < 4:
            quiet.nodes[key] = node
    quiet.edges = {k: e for k, e in buffer.edges.items() if int(k[0][2:]) < 4}
    calm = communities.discover(frames.from_buffer(quiet))
    assert calm
    assert calm[0].score < network.score


def test_pseudonyms_are_keyed_and_the_graph_follows_a_new_key() -> None:
    number = "11010519491231002X"
    before = (pseudonym("identity", number), graph.person_key(number))
    use_pseudonym_key("a secret of this deployment")
    try:
        after = (pseudonym("identity", number), graph.person_key(number))
        assert after[0] != before[0]  # without the key, hashing candidates tells nothing
        assert after[1] == "p:" + after[0]  # the graph's cache followed the new key
    finally:
        use_pseudonym_key(get_settings().pseudonym_key)
    assert graph.person_key(number) == before[1]
