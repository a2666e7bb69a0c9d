"""Small simulated days cleared into a store with risk control (the identity graph grows
as their lists are decided), for the batch jobs' tests."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from cbec.catalog import service as catalog_service
from cbec.clearance import wiring
from cbec.config import get_settings
from cbec.intake.commands import load_and_prepare, locate
from cbec.intake.service import Intake
from cbec.network import graph
from cbec.registry.service import import_registry
from cbec.risk import wiring as risk_wiring
from cbec.sim.output import run as simulate
from cbec.sim.simulation import Options


def clear_day(factory: sessionmaker[Session], folder: Path, options: Options) -> Path:
    """Simulate a day into ``folder``/day and clear it into the (empty) store of
    ``factory``: catalogue, registry, then every message through intake and clearance with
    risk control. The day's folder."""
    day = folder / "day"
    simulate(options, day)
    settings = get_settings()
    listener = wiring.listener_factory(
        settings,
        assessor=risk_wiring.assessor_factory(settings, observers=(graph.Observer,)),
    )
    with factory() as s:
        catalog_service.seed(s)
        import_registry(s, json.loads((day / "registry.json").read_text("utf-8")))
        s.commit()
    with factory() as s:
        intake = Intake(s, [graph.DocumentObserver(s), listener(s)])
        intake.submit(load_and_prepare(locate(day / "messages"), 4 << 20))
        s.commit()
    return day
