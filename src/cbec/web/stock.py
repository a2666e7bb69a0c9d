"""The warehouse page (``/warehouse``): each bonded account's goods with their book stock,
what is reserved and free, days on the shelf and the last count; the counts that found a
difference; the goods past their shelf time."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cbec.officers.roles import Role
from cbec.store.models import (
    BondedAccount,
    BondedGoods,
    Enterprise,
    Officer,
    StockCount,
    utcnow,
)
from cbec.warehouse.service import Warehouse, shelf_days
from cbec.web import signin

#: Who reads the ledger (as ``/api/v1/warehouse``).
READERS = (Role.INSPECTOR, Role.RISK_ANALYST, Role.REVIEWER)


@dataclass(frozen=True, slots=True)
class GoodsRow:
    goods: BondedGoods
    shelf_days: int | None
    last_count: StockCount | None

    @property
    def free(self) -> Decimal:
        return self.goods.on_hand - self.goods.reserved


@dataclass(frozen=True, slots=True)
class AccountRow:
    account: BondedAccount
    ebc_name: str
    area_name: str
    goods: list[GoodsRow]


def context(session: Session, officer: Officer, shelf_limit: int) -> dict[str, Any]:
    """Every account with its goods, the counts that found a difference (newest first),
    and the goods on the shelf longer than ``shelf_limit`` days."""
    signin.need_any(officer, *READERS)
    ledger = Warehouse(session)
    now = utcnow()
    accounts = session.scalars(select(BondedAccount).order_by(BondedAccount.ems_no)).all()
    codes = {a.ebc_code for a in accounts} | {a.area_code for a in accounts}
    names = dict(
        session.execute(
            select(Enterprise.customs_code, Enterprise.name).where(
                Enterprise.customs_code.in_(list(codes))
            )
        ).all()
    )
    counts: dict[int, StockCount] = {
        c.goods_id: c for c in session.scalars(select(StockCount).order_by(StockCount.id))
    }
    rows = []
    for account in accounts:
        _, goods = ledger.account_goods(account.ems_no)
        rows.append(
            AccountRow(
                account,
                names.get(account.ebc_code, "(not filed)"),
                names.get(account.area_code, "(not filed)"),
                [GoodsRow(g, shelf_days(g.stock_since, now), counts.get(g.id)) for g in goods],
            )
        )
    discrepancies = session.execute(
        select(StockCount, BondedGoods, BondedAccount)
        .join(BondedGoods, BondedGoods.id == StockCount.goods_id)
        .join(BondedAccount, BondedAccount.id == BondedGoods.account_id)
        .where(StockCount.difference != 0)
        .order_by(StockCount.id.desc())
        .limit(200)
    ).all()
    return {
        "accounts": rows,
        "discrepancies": discrepancies,
        "over": ledger.over_shelf_time(shelf_limit),
        "shelf_limit": shelf_limit,
    }
