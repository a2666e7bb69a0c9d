"""A list whose decision faults after its risk verdict leaves no trace in the risk
database (aggregates, assessment) or in the identity graph, and is counted once when it is
decided again: otherwise a fault would make the buyer look busier than they are."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cbec.clearance import service as clearance_service
from cbec.clearance.service import Clearance, Policy
from cbec.config import Settings
from cbec.network import graph
from cbec.risk.assessor import RiskControl
from cbec.store.models import NetworkNode, RiskAssessment, RiskCounter
from tests.risk.conftest import BUYER, Traffic, declaration


def _counts(s: Session) -> tuple[int, int, int]:
    lists = s.scalar(
        select(func.coalesce(func.sum(RiskCounter.n), 0)).where(RiskCounter.kind == "bl")
    )
    assessed = s.scalar(select(func.count()).select_from(RiskAssessment))
    in_graph = s.scalar(
        select(func.coalesce(func.sum(NetworkNode.lists), 0)).where(
            NetworkNode.key == graph.person_key(BUYER)
        )
    )
    return int(lists or 0), int(assessed or 0), int(in_graph or 0)


def test_a_list_that_faults_after_its_verdict_is_counted_once(
    traffic: Traffic, db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    traffic.send(1)  # one list decided normally
    with db() as s:
        assert _counts(s) == (1, 1, 1)

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("a bug after the risk verdict")

    monkeypatch.setattr(clearance_service, "decide", broken)
    logging.getLogger("cbec.clearance").disabled = True
    try:
        traffic.send(2)  # accepted, but its decision faults after risk control saw it
    finally:
        logging.getLogger("cbec.clearance").disabled = False
    assert declaration(db, 2).awaiting is True
    with db() as s:
        assert _counts(s) == (1, 1, 1)  # nothing of list 2 stayed behind
    monkeypatch.undo()
    with db() as s:
        policy = Policy.from_settings(Settings(review_rate=0.0, inspection_rate=0.0))
        clearance = Clearance(s, policy, assessor=RiskControl(s, observers=[graph.Observer(s)]))
        assert clearance.recheck() == 1
        s.commit()
        assert _counts(s) == (2, 2, 2)  # counted once
