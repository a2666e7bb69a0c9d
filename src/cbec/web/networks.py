"""The networks page (``/networks``): what consumer-end monitoring flagged and the smuggling
networks found, for risk analysts and investigators, with the picture of each network's
graph and a button to run the detectors and the discovery now (risk analysts).

Identities are shown masked; the full ID numbers are in the case clue a network became.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cbec.audit.service import Actor
from cbec.errors import Forbidden
from cbec.network import communities, detectors, service
from cbec.officers.roles import Role
from cbec.store.models import Officer, RiskFlag
from cbec.web import signin

READERS = (Role.RISK_ANALYST.value, Role.INVESTIGATOR.value)


def reader(officer: Officer) -> None:
    """403 unless ``officer`` is a risk analyst or an investigator."""
    if not set(READERS) & set(officer.role_names):
        held = ", ".join(officer.role_names) or "no role"
        raise Forbidden(
            f"this needs the role risk_analyst or investigator; officer "
            f"{officer.username!r} holds {held}"
        )


def page_context(session: Session, officer: Officer, network_id: int | None) -> dict[str, Any]:
    """What the page shows: the latest run's networks, best first, one of them in detail
    with its picture, and the detectors with the identities each flags now."""
    reader(officer)
    rows = service.networks(session, limit=200)
    counts = dict(
        session.execute(
            select(RiskFlag.kind, func.count())
            .where(RiskFlag.source == service.SOURCE, RiskFlag.valid_to.is_(None))
            .group_by(RiskFlag.kind)
        ).all()
    )
    chosen: dict[str, Any] | None = None
    if rows:
        row = service.network(session, network_id) if network_id else rows[0]
        measures = json.loads(row.measures)
        chosen = {
            "row": row,
            "measures": measures["measures"],
            "contributions": measures["contributions"],
            "weekly": measures["newMembersPerWeek"],
            "cells": measures["cells"],
            "members": service.members(session, row),
            "picture": service.picture_of(session, row),
        }
    return {
        "run": service.latest_run(session),
        "rows": rows,
        "chosen": chosen,
        "detectors": [
            (name, what, counts.get(name, 0)) for name, (_, what) in detectors.DETECTORS.items()
        ],
        "threshold": communities.Settings().case_threshold,
        "can_run": Role.RISK_ANALYST.value in officer.role_names,
    }


def run_now(session: Session, officer: Officer) -> None:
    """Run the detectors and the discovery now (risk analysts), in the audit log."""
    signin.need(officer, Role.RISK_ANALYST)
    service.run(
        session, by=Actor.officer(officer.username), reason="network run from the networks page"
    )
