"""Running consumer-end monitoring and network discovery over the stored graph.

:func:`run` reads the graph, runs every detector, replaces the network flags in the risk
database (the previous run's are closed: ``valid_to`` = now, so history keeps them), finds
the networks, stores them, and opens a case clue (with its members and a picture of the
graph) for every network that scores past the threshold. :func:`evaluate` compares a run's
flags and networks with a simulated day's ground truth (``labels.json``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.audit.service import Actor, ActorKind
from cbec.batch.engine import Embedded, Engine, Source
from cbec.errors import NotFound
from cbec.network import communities, components, detectors, frames
from cbec.network.communities import Found
from cbec.network.detectors import Thresholds
from cbec.network.graph import PERSON
from cbec.privacy import blind_id
from cbec.risk import cases
from cbec.store.models import Network, NetworkEdge, NetworkNode, NetworkRun, RiskFlag, utcnow

NETWORK = Actor.system("network")
SOURCE = "network"


@dataclass(slots=True)
class RunResult:
    run: NetworkRun
    flags: pl.DataFrame
    networks: list[Found]
    stored: list[Network]
    cases: list[int] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """What the run did, as the API and ``cbec network run --json`` show it."""
        return {
            "run": self.run.id,
            "nodes": self.run.nodes,
            "edges": self.run.edges,
            "flags": self.run.flags,
            "networks": self.run.networks,
            "cases": self.cases,
            "seconds": self.run.seconds,
        }


def _write_flags(
    session: Session, flags: pl.DataFrame, now: datetime, by: Actor, labels: dict[str, str]
) -> None:
    session.execute(
        update(RiskFlag)
        .where(RiskFlag.source == SOURCE, RiskFlag.valid_to.is_(None))
        .values(valid_to=now)
    )
    session.add_all(
        RiskFlag(
            subject_kind="identity",
            subject_key=row["subject"],  # the blind index of the ID number
            subject_label=labels.get(row["key"], "")[:60],
            source=SOURCE,
            kind=row["detector"],
            score=float(row["score"]),
            reason=row["reason"],
            valid_from=now,
            valid_to=None,
            created_at=now,
            created_by=by.name,
        )
        for row in flags.iter_rows(named=True)
    )


def _labels(session: Session, keys: Iterable[str]) -> dict[str, tuple[str, str, str]]:
    """(kind, masked label, subject) of each node."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, tuple[str, str, str]] = {}
    for start in range(0, len(wanted), 500):
        for key, kind, label, subject in session.execute(
            select(NetworkNode.key, NetworkNode.kind, NetworkNode.label, NetworkNode.subject).where(
                NetworkNode.key.in_(wanted[start : start + 500])
            )
        ):
            found[key] = (kind, label, subject)
    return _told_apart(found)


def _told_apart(nodes: dict[str, tuple[str, str, str]]) -> dict[str, tuple[str, str, str]]:
    """Labels that mask two members alike (two addresses in one district both read
    ``湖北省汉阳区 ****``) get the last characters of each member's pseudonym, which give
    nothing away, so that an investigator can tell them apart in a case and its picture.

    >>> _told_apart({"a:1f3c": ("address", "湖北省汉阳区 ****", ""),
    ...              "a:9b2e": ("address", "湖北省汉阳区 ****", ""),
    ...              "p:77aa": ("person", "张*", "")})["a:9b2e"][1]
    '湖北省汉阳区 **** ·9b2e'
    """
    seen: dict[str, int] = {}
    for _kind, label, _subject in nodes.values():
        seen[label] = seen.get(label, 0) + 1
    return {
        key: (kind, f"{label} ·{key[-4:]}" if seen[label] > 1 else label, subject)
        for key, (kind, label, subject) in nodes.items()
    }


def _evidence(
    session: Session, network: Found, nodes: Mapping[str, tuple[str, str, str]]
) -> list[cases.Evidence]:
    """The network (measures, picture), its members (masked) and the lists its people
    bought, which the investigator works and the case's outcome labels."""
    labels = {key: nodes[key][1] for key in network.members if key in nodes}
    items = [
        cases.Evidence(
            "network",
            network.hub,
            {
                "people": network.people,
                "addresses": network.addresses,
                "phones": network.phones,
                "provinces": network.provinces,
                "cells": network.cells,
                "newMembersPerWeek": dict(network.weekly),
                "measures": network.measures,
                "contributions": network.contributions,
                "score": network.score,
                "picture": communities.picture(network, labels),
            },
        )
    ]
    people = []
    for key in network.members:
        kind, label, subject = nodes.get(key, ("", "", ""))
        if kind == PERSON and subject:
            people.append(subject)
            items.append(cases.Evidence("identity", f"member:{subject}", {"label": label}))
        elif kind:
            items.append(cases.Evidence("identity", f"{kind}:{key}", {"label": label}))
    return items + cases.buyers_lists(session, people)


def run(
    session: Session,
    *,
    thresholds: Thresholds | None = None,
    settings: communities.Settings | None = None,
    by: Actor = NETWORK,
    open_cases: bool = True,
    reason: str = "network run requested",
    engine: Engine | None = None,
) -> RunResult:
    """One run of the detectors and the network discovery over the stored graph; a run an
    officer asked for is in the audit log with ``reason``. The component step runs on
    ``engine`` (:mod:`cbec.batch.engine`; the embedded one by default), the Leiden
    refinement and the measures here."""
    started = time.perf_counter()
    t = thresholds or Thresholds()
    s = settings or communities.Settings()
    now = utcnow()
    graph = frames.from_store(session)
    flags = detectors.detect(graph, t)
    labels = dict(zip(graph.nodes["key"].to_list(), graph.nodes["label"].to_list(), strict=True))
    _write_flags(session, flags, now, by, labels)
    found = communities.discover(
        graph, detectors.strongest(flags), s, components=candidate_components(graph, s, engine)
    )
    record = NetworkRun(
        started_at=now,
        nodes=graph.nodes.height,
        edges=graph.edges.height,
        flags=flags.height,
        networks=len(found),
        settings=json.dumps(
            {
                "thresholds": t.as_dict(),
                "discovery": _settings_dict(s),
                "engine": engine.name if engine is not None else Embedded.name,
            }
        ),
    )
    session.add(record)
    session.flush()
    result = RunResult(record, flags, found, [])
    for network in found:
        row = Network(
            run_id=record.id,
            hub=network.hub,
            score=network.score,
            people=network.people,
            addresses=network.addresses,
            phones=network.phones,
            provinces=network.provinces,
            measures=json.dumps(
                {
                    "measures": network.measures,
                    "contributions": network.contributions,
                    "cells": network.cells,
                    "newMembersPerWeek": dict(network.weekly),
                }
            ),
            members=json.dumps(network.members),
        )
        if open_cases and network.score >= s.case_threshold:
            nodes = _labels(session, network.members)
            case = cases.open_case(
                session,
                source="network",
                subject_key=f"network:{network.hub}",
                title=(
                    f"network of {network.people} people over {network.provinces} provinces, "
                    f"{network.addresses} addresses and {network.phones} phones "
                    f"(score {network.score:.2f})"
                ),
                evidence=_evidence(session, network, nodes),
                by=by,
            )
            row.case_id = case.id
            result.cases.append(case.id)
        session.add(row)
        result.stored.append(row)
    record.seconds = round(time.perf_counter() - started, 3)
    session.flush()
    if by.kind is ActorKind.OFFICER:
        audit.record(
            session,
            actor_kind=by.kind,
            actor=by.name,
            action="network.run",
            subject_kind="network_run",
            subject_key=str(record.id),
            reason=reason,
            details={"flags": record.flags, "networks": record.networks},
        )
    return result


def candidate_components(
    graph: frames.Frames, settings: communities.Settings, engine: Engine | None = None
) -> pl.DataFrame:
    """The components of ``graph`` with enough people to be networks, found by the batch
    job on ``engine`` (a new embedded one when none is given)."""
    source = Source(
        frames={
            components.NODES: graph.nodes.select("key", "kind"),
            components.EDGES: graph.edges.select("a", "b", "kind"),
        }
    )
    if engine is not None:
        return components.network_components(engine, source, min_people=settings.min_people)
    with Embedded() as embedded:
        return components.network_components(embedded, source, min_people=settings.min_people)


def _settings_dict(s: communities.Settings) -> dict[str, Any]:
    return {
        "min_people": s.min_people,
        "max_people": s.max_people,
        "case_threshold": s.case_threshold,
        "resolution": s.resolution,
    }


def latest_run(session: Session) -> NetworkRun | None:
    return session.scalars(select(NetworkRun).order_by(NetworkRun.id.desc()).limit(1)).first()


def networks(session: Session, run_id: int | None = None, limit: int = 100) -> list[Network]:
    """The networks of a run (the latest by default), best first."""
    if run_id is None:
        last = latest_run(session)
        if last is None:
            return []
        run_id = last.id
    return list(
        session.scalars(
            select(Network)
            .where(Network.run_id == run_id)
            .order_by(Network.score.desc(), Network.id)
            .limit(limit)
        )
    )


def network(session: Session, network_id: int) -> Network:
    found = session.get(Network, network_id)
    if found is None:
        raise NotFound(f"network {network_id} does not exist")
    return found


def members(session: Session, row: Network) -> list[dict[str, str]]:
    """The members of a stored network: kind and masked label (never the ID number)."""
    keys: list[str] = json.loads(row.members)
    nodes = _labels(session, keys)
    return [{"key": k, "kind": nodes[k][0], "label": nodes[k][1]} for k in keys if k in nodes]


def picture_of(session: Session, row: Network) -> str:
    """The SVG picture of a stored network (links read back from the stored graph)."""
    keys: list[str] = json.loads(row.members)
    nodes = _labels(session, keys)
    position = {k: i for i, k in enumerate(keys)}
    links: set[tuple[int, int]] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        for a, b in session.execute(
            select(NetworkEdge.a, NetworkEdge.b).where(NetworkEdge.a.in_(chunk))
        ):
            if b in position:
                i, j = position[a], position[b]
                links.add((min(i, j), max(i, j)))
    found = Found(
        hub=row.hub,
        members=keys,
        people=row.people,
        addresses=row.addresses,
        phones=row.phones,
        provinces=row.provinces,
        cells=0,
        weekly=[],
        links=sorted(links),
        kinds=[nodes.get(k, ("?", "", ""))[0] for k in keys],
    )
    return communities.picture(found, {k: v[1] for k, v in nodes.items()})


# -- evaluation against a simulated day's labels -----------------------------------------------


@dataclass(frozen=True, slots=True)
class Score:
    flagged: int
    relevant: int
    hits: int

    @property
    def precision(self) -> float:
        return self.hits / self.flagged if self.flagged else 0.0

    @property
    def recall(self) -> float:
        return self.hits / self.relevant if self.relevant else 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "flagged": self.flagged,
            "relevant": self.relevant,
            "hits": self.hits,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
        }


def _score(flagged: set[str], relevant: set[str]) -> Score:
    return Score(len(flagged), len(relevant), len(flagged & relevant))


def evaluate(
    flags: pl.DataFrame,
    found: Sequence[Found],
    subjects: Mapping[str, str],
    labels: Mapping[str, Any],
    threshold: float,
) -> dict[str, Any]:
    """Precision and recall against ``labels.json``: of the identities the detectors flag
    (any identity pattern counts), of the identities in networks scoring past
    ``threshold`` (against ring and pool members, and against ring members alone), and
    per labelled network its best match."""
    # the labels name people by ID number, the graph by its blind index
    identities: dict[str, list[str]] = {
        blind_id(i): tags for i, tags in labels.get("identities", {}).items()
    }
    ring = {i for i, tags in identities.items() if "smuggling_ring" in tags}
    grouped = {
        i for i, tags in identities.items() if {"smuggling_ring", "identity_pool"} & set(tags)
    }
    flagged_ids = set(flags["subject"].to_list())
    above = [n for n in found if n.score >= threshold]
    in_networks = {subjects[m] for n in above for m in n.members if subjects.get(m)}
    per_detector = {
        name: _score(set(group["subject"].to_list()), set(identities)).as_dict()
        for (name,), group in flags.group_by("detector")
    }
    matches = []
    for truth in labels.get("networks", []):
        members = {blind_id(i) for i in truth["identities"]}
        best = max(
            above,
            key=lambda n: len(members & {subjects.get(m, "") for m in n.members}),
            default=None,
        )
        got = {subjects.get(m, "") for m in best.members} - {""} if best else set()
        matches.append(
            {
                "pattern": truth["pattern"],
                "identities": len(members),
                "found": len(members & got),
                "networkPeople": len(got),
                "score": best.score if best else None,
            }
        )
    return {
        "threshold": threshold,
        "detectors": _score(flagged_ids, set(identities)).as_dict(),
        "perDetector": per_detector,
        "networks": _score(in_networks, grouped).as_dict(),
        "ringMembers": {
            "recall": round(len(in_networks & ring) / len(ring), 4) if ring else None,
            "precision": round(len(in_networks & grouped) / len(in_networks), 4)
            if in_networks
            else None,
            "members": len(ring),
        },
        "labelledNetworks": matches,
    }
