"""Plugging the warehouse into intake (CEB711 entries) and clearance (lists changing
state); done by the assembly, ``cbec.api`` and ``cbec.cli``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cbec.clearance import service as clearance_service
from cbec.intake import pipeline
from cbec.warehouse.service import Warehouse, account_owners, on_move, on_undo


def listener_factory() -> pipeline.ListenerFactory:
    """The warehouse as an intake listener: books every CEB711 entry intake accepts."""

    def factory(session: Session) -> Warehouse:
        return Warehouse(session)

    return factory


def install() -> None:
    """Reserve, move out and put back bonded stock as 1210 lists change state; tell
    clearance who keeps the bonded accounts its lists name."""
    clearance_service.on_move("warehouse.ledger", on_move)
    # a list whose decision faults after it moved gets its stock back
    clearance_service.on_undo("warehouse.ledger", on_undo)
    # a list naming another enterprise's bonded account goes to review (C11.account)
    clearance_service.on_bonded_accounts("warehouse.ledger", account_owners)
