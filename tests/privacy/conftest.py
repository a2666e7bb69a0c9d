"""A generated day, ingested and cleared through the whole assembly (clearance with risk
control, the identity graph, consumer notices, warehouse, exports), for the tests that
look at what the store keeps of the people in it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from cbec import assembly
from cbec.catalog import service as catalog_service
from cbec.config import Settings
from cbec.intake.commands import load_and_prepare, locate
from cbec.intake.service import Intake
from cbec.registry.service import import_registry
from cbec.sim.output import write
from cbec.sim.simulation import Day, Options, generate


@dataclass(frozen=True)
class People:
    """What the day says about its people, in clear."""

    ids: frozenset[str]
    phones: frozenset[str]
    addresses: frozenset[str]
    names: frozenset[str]


@dataclass(frozen=True)
class GeneratedDay:
    folder: Path
    day: Day
    people: People


@pytest.fixture(scope="session")
def generated_day(tmp_path_factory: pytest.TempPathFactory) -> GeneratedDay:
    out = tmp_path_factory.mktemp("privacy-day")
    day = generate(Options(orders=160, seed=23))
    write(day, out, as_zip=False)
    persons = [p for o in day.orders for p in (o.buyer, o.payer)]
    people = People(
        ids=frozenset(p.id_number for p in persons),
        phones=frozenset({p.phone for p in persons} | {o.consignee_phone for o in day.orders}),
        addresses=frozenset(o.address for o in day.orders),
        names=frozenset({p.name for p in persons} | {o.consignee for o in day.orders}),
    )
    return GeneratedDay(out, day, people)


def ingest_day(db: sessionmaker[Session], generated: GeneratedDay) -> None:
    """Registry, catalogue, then every message of the day through the whole assembly."""
    settings = Settings()
    assembly.install_hooks()
    with db() as s:
        catalog_service.seed(s)
        import_registry(s, json.loads((generated.folder / "registry.json").read_text("utf-8")))
        s.commit()
    listeners = assembly.intake_listeners(settings)
    locators = locate(generated.folder / "messages")
    for start in range(0, len(locators), 300):
        with db() as s:
            intake = Intake(s, [factory(s) for factory in listeners])
            intake.submit(load_and_prepare(locators[start : start + 300], 4 << 20))
            s.commit()
