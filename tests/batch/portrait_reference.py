"""The portrait features as ``cbec portrait rate`` computed them before the batch job, in
Python over the store's rows (one list at a time), kept here only as the tests' oracle for
:mod:`cbec.portrait.batch`. It mirrors the previous ``repository.list_outcomes`` and
``service._facts`` (without platform verification, which has not moved)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from cbec.clearance import statements
from cbec.messages.fields import CST
from cbec.portrait.score import CAPTIVE_MIN_LISTS, CAPTIVE_SHARE, Facts
from cbec.store.models import Declaration, DeclarationEvent, Enterprise, RiskFlag

RELEASED = (800, 899)
CONSUMER_KINDS = ("dispute", "identity_misuse")


@dataclass(frozen=True, slots=True)
class Outcome:
    codes: tuple[str, ...]
    ebp_code: str
    pay_code: str | None
    buyer: str
    value: Decimal
    tax: Decimal
    rejected: bool
    reviewed: bool
    review_rejected: bool
    inspected: bool
    discrepancy: bool
    seized: bool
    tax_misdeclared: bool


def _flag(condition: Any) -> Any:
    return func.max(case((condition, 1), else_=0))


def outcomes(session: Session, start: datetime, end: datetime) -> list[Outcome]:
    e = DeclarationEvent
    events = (
        select(
            e.declaration_id.label("did"),
            _flag(and_(e.from_status == 120, e.to_status == 100)).label("rejected"),
            _flag(e.to_status == 300).label("reviewed"),
            _flag(and_(e.from_status == 300, e.to_status == 100)).label("review_rejected"),
            _flag(e.to_status == 500).label("inspected"),
            _flag(and_(e.from_status == 500, e.to_status.in_((501, 503, 599, 700)))).label(
                "discrepancy"
            ),
            _flag(e.to_status == 502).label("seized"),
        )
        .join(Declaration, Declaration.id == e.declaration_id)
        .where(Declaration.decided_at >= start, Declaration.decided_at < end)
        .group_by(e.declaration_id)
        .subquery()
    )
    d = Declaration
    rows = session.execute(
        select(
            d.ebp_code,
            d.ebc_code,
            d.agent_code,
            d.logistics_code,
            d.pay_code,
            d.buyer_key,
            d.taxable_value,
            d.tax_total,
            d.status,
            d.findings.like("%C10.tax%"),
            *events.c[1:],
        )
        .outerjoin(events, events.c.did == d.id)
        .where(d.decided_at >= start, d.decided_at < end)
        .order_by(d.id)
    ).all()
    return [
        Outcome(
            codes=tuple(dict.fromkeys(c for c in r[0:5] if c)),
            ebp_code=str(r[0]),
            pay_code=r[4],
            buyer=str(r[5]),
            value=Decimal(r[6] or 0),
            tax=Decimal(r[7] or 0) if int(r[8]) in RELEASED else Decimal(0),
            rejected=bool(r[10]),
            reviewed=bool(r[11]),
            review_rejected=bool(r[12]),
            inspected=bool(r[13]),
            discrepancy=bool(r[14]),
            seized=bool(r[15]),
            tax_misdeclared=bool(r[9]) and int(r[8]) == 100,
        )
        for r in rows
    ]


def captive_pairs(lists_by_pair: Mapping[tuple[str, str], int]) -> set[tuple[str, str]]:
    platforms_of: dict[str, set[str]] = {}
    per_platform: dict[str, int] = {}
    for (pay, ebp), n in lists_by_pair.items():
        platforms_of.setdefault(pay, set()).add(ebp)
        per_platform[ebp] = per_platform.get(ebp, 0) + n
    return {
        (pay, ebp)
        for (pay, ebp), n in lists_by_pair.items()
        if platforms_of[pay] == {ebp}
        and n >= CAPTIVE_MIN_LISTS
        and n >= CAPTIVE_SHARE * per_platform[ebp]
    }


def _valid(row: RiskFlag, moment: datetime) -> bool:
    return (row.valid_from is None or row.valid_from <= moment) and (
        row.valid_to is None or moment < row.valid_to
    )


def facts(
    session: Session, start: datetime, end: datetime, codes: list[str] | None = None
) -> dict[str, Facts]:
    found = outcomes(session, start, end)
    before: dict[str, int] = {}
    for o in outcomes(session, start - (end - start), start):
        for code in o.codes:
            before[code] = before.get(code, 0) + 1
    pairs: dict[tuple[str, str], int] = {}
    for o in found:
        if o.pay_code:
            pairs[(o.pay_code, o.ebp_code)] = pairs.get((o.pay_code, o.ebp_code), 0) + 1
    captive = captive_pairs(pairs)
    flags = [f for f in session.scalars(select(RiskFlag)) if _valid(f, end)]
    consumer = [f for f in flags if f.source == "consumer" and f.kind in CONSUMER_KINDS]
    disputed_ids = {f.subject_key for f in consumer if f.subject_kind == "identity"}
    network = [f for f in flags if f.source == "network" and f.subject_kind == "enterprise"]
    wanted = set(codes) if codes is not None else {c for o in found for c in o.codes}
    out: dict[str, Facts] = {}
    buyers: dict[str, set[str]] = {}
    for e in session.scalars(select(Enterprise).where(Enterprise.customs_code.in_(wanted))):
        out[e.customs_code] = Facts(
            code=e.customs_code,
            roles=tuple(e.role_names),
            filing_date=e.filing_date,
            lists_before=before.get(e.customs_code, 0),
        )
    for o in found:
        for code in o.codes:
            f = out.get(code)
            if f is None:
                continue
            f.lists += 1
            f.value += o.value
            f.tax_billed += o.tax
            f.rejected += o.rejected
            f.reviewed += o.reviewed
            f.review_rejected += o.review_rejected
            f.inspected += o.inspected
            f.discrepancies += o.discrepancy
            f.seizures += o.seized
            f.tax_misdeclared += o.tax_misdeclared
            f.captive_lists += (o.pay_code, o.ebp_code) in captive
            buyers.setdefault(code, set()).add(o.buyer)
    since, as_of = start.astimezone(CST).date(), end.astimezone(CST).date()
    owed = statements.of_guarantors(session, out, as_of)
    for code, f in out.items():
        for row in owed.get(code, []):
            if row.due_on < since and row.paid_on is not None and row.paid_on < since:
                continue
            st = statements.standing(row.total, row.paid, row.due_on, row.paid_on, as_of)
            f.tax_statements += 1
            if st.state == statements.PAID_LATE:
                f.tax_paid_late += 1
            elif st.state == statements.OVERDUE:
                f.tax_overdue += 1
                f.tax_overdue_cny += st.outstanding
            f.tax_days_late = max(f.tax_days_late, st.days_late)
        mine = buyers.get(code, set())
        f.buyers = len(mine)
        f.disputed_buyers = len(mine & disputed_ids)
        on_me = [x for x in consumer if x.subject_kind == "enterprise" and x.subject_key == code]
        f.disputes = max(f.disputed_buyers, len(on_me))
        mine_net = [x for x in network if x.subject_key == code]
        f.network_flags = len(mine_net)
        f.network_score = max((x.score for x in mine_net), default=0.0)
    return out
