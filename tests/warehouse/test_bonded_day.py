"""Done when: a generated bonded-import day moves the ledger correctly end to end. The
simulated zone operators stock the day's 1210 goods (CEB711), the day's messages are
ingested and cleared, and the book of every item equals what was entered, less what left
with released lists, with what approved lists hold reserved; then a stocktake finds
exactly the planted discrepancies."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cbec.catalog import service as catalog_service
from cbec.clearance import wiring
from cbec.config import Settings
from cbec.intake.commands import load_and_prepare, locate
from cbec.intake.service import Intake
from cbec.messages.models import CEB621Message
from cbec.registry.service import import_registry
from cbec.sim import bonded
from cbec.sim.output import write
from cbec.sim.simulation import Options, generate
from cbec.store.models import (
    BondedAccount,
    BondedGoods,
    Declaration,
    Document,
    InboundMessage,
    RiskFlag,
    StockCount,
    StockMovement,
)
from cbec.warehouse import wiring as warehouse_wiring
from cbec.warehouse.service import Warehouse

OUT_STATES = {800}
HELD_STATES = {399, 500, 501, 502, 503, 599}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bonded.Stock]:
    out = tmp_path_factory.mktemp("bonded-day")
    day = generate(Options(orders=240, seed=21, bonded_share=0.7, fraud_rate=0.05))
    write(day, out, as_zip=False)
    stock = bonded.bonded_stock(day, planted=3)
    bonded.write(stock, out)
    return out, stock


def _ingest(db: sessionmaker[Session], folder: Path, listeners: list[object]) -> None:
    with db() as s:
        intake = Intake(s, [factory(s) for factory in listeners])  # type: ignore[operator]
        locators = locate(folder)
        for start in range(0, len(locators), 400):
            intake.submit(load_and_prepare(locators[start : start + 400], 4 << 20))
        s.commit()


def test_a_generated_bonded_day_moves_the_ledger(
    db: sessionmaker[Session], generated: tuple[Path, bonded.Stock]
) -> None:
    out, stock = generated
    warehouse_wiring.install()
    with db() as s:
        catalog_service.seed(s)
        import_registry(s, json.loads((out / "registry.json").read_text("utf-8")))
        s.commit()
    settings = Settings(review_rate=0.05, inspection_rate=0.1)
    listeners = [wiring.listener_factory(settings), warehouse_wiring.listener_factory()]
    _ingest(db, out / "bonded", listeners)
    with db() as s:
        entered = {
            (a.ems_no, g.item_record_no): g.on_hand
            for g, a in s.execute(
                select(BondedGoods, BondedAccount).join(
                    BondedAccount, BondedAccount.id == BondedGoods.account_id
                )
            ).all()
        }
    assert entered == {k: Decimal(v) for k, v in stock.entered.items()}  # stock in
    _ingest(db, out / "messages", listeners)

    with db() as s:
        out_qty: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        held_qty: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        statuses: dict[int, int] = defaultdict(int)
        rows = s.execute(
            select(Declaration.status, InboundMessage.body)
            .join(Document, Document.id == Declaration.document_id)
            .join(InboundMessage, InboundMessage.id == Document.message_id)
            .where(Declaration.trade_mode == "1210")
        ).all()
        for status, body in rows:
            statuses[status] += 1
            listed = CEB621Message.model_validate_json(body).inventory
            ems = listed.inventoryHead.emsNo or ""
            for line in listed.inventoryList:
                key = (ems, line.itemRecordNo or "")
                if status in OUT_STATES:
                    out_qty[key] += line.qty
                elif status in HELD_STATES:
                    held_qty[key] += line.qty
        assert statuses[800] > 50  # the day released lists (and decided others otherwise)
        assert len(statuses) >= 3
        assert sum(held_qty.values()) > 0  # some lists wait in inspection, reserved
        goods = {
            (a.ems_no, g.item_record_no): g
            for g, a in s.execute(
                select(BondedGoods, BondedAccount).join(
                    BondedAccount, BondedAccount.id == BondedGoods.account_id
                )
            ).all()
        }
        for key, g in goods.items():
            # reserve on approval, out on release: entered - released, held lists reserved
            assert g.on_hand == Decimal(stock.entered[key]) - out_qty[key], key
            assert g.reserved == held_qty[key], key
            assert 0 <= g.reserved <= g.on_hand
        kinds = {m.kind for m in s.scalars(select(StockMovement))}
        assert {"inbound", "reserve", "outbound"} <= kinds
        assert (
            s.scalar(select(StockMovement.id).where(StockMovement.document_id.is_(None)).limit(1))
            is None
        )  # every movement links to its document

        # the stocktake: planted items are short, the rest count as booked
        planted = {(e, i): m for e, i, _, m in stock.planted}
        warehouse = Warehouse(s)
        for (ems, item), g in sorted(goods.items())[:12] + [(k, goods[k]) for k in sorted(planted)]:
            counted = g.on_hand - planted.get((ems, item), 0)
            warehouse.count(item, counted, officer="wang.fang", ems_no=ems)
        flagged = s.execute(
            select(BondedAccount.ems_no, BondedGoods.item_record_no, RiskFlag.kind)
            .join(BondedGoods, BondedGoods.account_id == BondedAccount.id)
            .join(StockCount, StockCount.goods_id == BondedGoods.id)
            .join(RiskFlag, RiskFlag.id == StockCount.risk_flag_id)
            .where(RiskFlag.source == "warehouse")
        ).all()
        assert {kind for _, _, kind in flagged} == {"stock_discrepancy"}
        found = {(ems, item) for ems, item, _ in flagged}
        assert found == set(planted)
        s.rollback()


def _book(s: Session) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    return {
        (a.ems_no, g.item_record_no): (g.on_hand, g.reserved)
        for g, a in s.execute(
            select(BondedGoods, BondedAccount).join(
                BondedAccount, BondedAccount.id == BondedGoods.account_id
            )
        ).all()
    }


def test_a_list_whose_decision_faults_after_release_gives_its_stock_back(
    db: sessionmaker[Session],
    generated: tuple[Path, bonded.Stock],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import logging

    from cbec.clearance.service import Clearance

    out, _ = generated
    warehouse_wiring.install()
    with db() as s:
        catalog_service.seed(s)
        import_registry(s, json.loads((out / "registry.json").read_text("utf-8")))
        s.commit()
    listeners = [
        wiring.listener_factory(Settings(review_rate=0.0, inspection_rate=0.0)),
        warehouse_wiring.listener_factory(),
    ]
    _ingest(db, out / "bonded", listeners)
    with db() as s:
        entered = _book(s)
    released = Clearance._release

    def faulty(self: Clearance, *args: object, **kwargs: object) -> None:
        released(self, *args, **kwargs)  # type: ignore[arg-type]
        raise RuntimeError("a bug after the release")

    monkeypatch.setattr(Clearance, "_release", faulty)
    logging.getLogger("cbec.clearance").disabled = True
    try:
        _ingest(db, out / "messages", listeners)
    finally:
        logging.getLogger("cbec.clearance").disabled = False
    with db() as s:
        assert _book(s) == entered  # every reservation and outbound undone
        returned = s.scalars(select(StockMovement).where(StockMovement.kind == "return")).all()
        assert returned  # the ledger shows what happened
        assert all("failed" in m.reason for m in returned)
        waiting = s.scalar(
            select(func.count())
            .select_from(Declaration)
            .where(Declaration.trade_mode == "1210", Declaration.awaiting.is_(True))
        )
        assert waiting
    monkeypatch.undo()
    with db() as s:
        assert Clearance(s).recheck() >= waiting
        s.commit()
        after = _book(s)
    moved = [k for k in entered if after[k][0] < entered[k][0]]
    assert moved  # decided again, the stock goes out once
    assert all(0 <= after[k][1] <= after[k][0] for k in after)
