"""Periodic tax statements. In CBEC retail imports the e-commerce enterprise, or its agent,
stands guarantee (assureCode) for the tax of its lists: it collects the tax from the buyers
and pays customs periodically. Each month, the tax bills (CEB816) issued for the lists
released under a guarantee are summed into one statement per guarantee (the bills become
status 2, summarised), due a set number of days after the month ends (``CBEC_TAX_DUE_DAYS``;
DOMAIN.md gives no term). Officers record the payments received, in parts if so; a
statement is paid on the day its payments reach its total, late if that is after the due
date, and overdue while anything is owed after it. Services flush, never commit.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.audit.service import Actor
from cbec.errors import BadRequest, FieldError, NotFound
from cbec.messages.fields import CST
from cbec.months import parse_month
from cbec.store.models import TaxBill, TaxPayment, TaxStatement, utcnow

ISSUED, SUMMARISED = 1, 2
PAID, PAID_LATE, OPEN, OVERDUE = "paid", "paid_late", "open", "overdue"
STATES = (PAID, PAID_LATE, OPEN, OVERDUE)
DEFAULT_DUE_DAYS = 15
ZERO = Decimal(0)
CENT = Decimal("0.01")


def today() -> date:
    """Today in Beijing."""
    return utcnow().astimezone(CST).date()


def period_of(month: str, path: str = "month") -> str:
    """``YYYY-MM`` (or ``YYYYMM``) as the ``yyyymm`` of the tax bills.

    >>> period_of("2026-11"), period_of("202611")
    ('202611', '202611')
    """
    year, number = parse_month(month, path, compact=True)
    return f"{year:04d}{number:02d}"


def month_end(period: str) -> date:
    """The last day of the month ``yyyymm``.

    >>> month_end("202602")
    datetime.date(2026, 2, 28)
    """
    year, month = int(period[:4]), int(period[4:])
    return date(year, month, calendar.monthrange(year, month)[1])


def due_date(period: str, days: int) -> date:
    """The day by which the statement of ``period`` is due: ``days`` after the month ends.

    >>> due_date("202611", 15)
    datetime.date(2026, 12, 15)
    """
    return month_end(period) + timedelta(days=days)


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a statement stands on a day."""

    state: str
    #: days past the due date it was paid in full (or, still owing, it is now)
    days_late: int
    outstanding: Decimal


def standing(
    total: Decimal, paid: Decimal, due_on: date, paid_on: date | None, on: date
) -> Standing:
    """A statement's state on day ``on``.

    >>> d = date(2026, 12, 15)
    >>> standing(Decimal(10), Decimal(10), d, date(2026, 12, 1), date(2027, 1, 1)).state
    'paid'
    >>> standing(Decimal(10), Decimal(10), d, date(2026, 12, 20), date(2027, 1, 1))
    Standing(state='paid_late', days_late=5, outstanding=Decimal('0'))
    >>> standing(Decimal(10), Decimal(4), d, None, date(2026, 12, 10)).state
    'open'
    >>> standing(Decimal(10), Decimal(4), d, None, date(2027, 1, 14))
    Standing(state='overdue', days_late=30, outstanding=Decimal('6'))
    """
    outstanding = max(total - paid, ZERO)
    if paid_on is not None and paid_on <= on:
        late = (paid_on - due_on).days
        return Standing(PAID_LATE if late > 0 else PAID, max(late, 0), ZERO)
    if on > due_on:
        return Standing(OVERDUE, (on - due_on).days, outstanding)
    return Standing(OPEN, 0, outstanding)


def settled_on(total: Decimal, payments: Iterable[tuple[date, Decimal]]) -> date | None:
    """The day the payments (in date order) reach ``total``, if they do.

    >>> settled_on(Decimal(10), [(date(2026, 12, 9), Decimal(6)), (date(2026, 12, 1), Decimal(4))])
    datetime.date(2026, 12, 9)
    >>> settled_on(Decimal(10), [(date(2026, 12, 1), Decimal(4))]) is None
    True
    """
    running = ZERO
    for on, amount in sorted(payments):
        running += amount
        if running >= total:
            return on
    return None


def _record(
    session: Session,
    by: Actor,
    action: str,
    subject: tuple[str, str],
    reason: str,
    **details: object,
) -> None:
    audit.record(
        session,
        actor_kind=by.kind,
        actor=by.name,
        action=action,
        subject_kind=subject[0],
        subject_key=subject[1],
        reason=reason,
        details=details,
    )


# -- making statements ------------------------------------------------------------------------


@dataclass(slots=True)
class Made:
    period: str
    due_on: date
    created: list[TaxStatement] = field(default_factory=list)
    #: statements already there that took bills issued since they were made
    extended: list[TaxStatement] = field(default_factory=list)
    bills: int = 0


def make(
    session: Session,
    month: str,
    *,
    by: Actor,
    due_days: int = DEFAULT_DUE_DAYS,
    on: date | None = None,
) -> Made:
    """Sum the month's issued tax bills into one statement per guarantee, due ``due_days``
    after the month ends; the bills become summarised (status 2). Only a month that has
    ended (in Beijing, as of ``on``, default today) is stated. Running it again states only
    bills issued since (none, once the month is over), so it is safe to schedule."""
    period = period_of(month)
    on = on or today()
    if due_days < 0:
        raise BadRequest(
            "the due date cannot come before the month ends",
            fields=[FieldError("dueDays", "minimum=0", str(due_days))],
        )
    if month_end(period) >= on:
        raise BadRequest(
            f"{month} has not ended yet (today is {on})",
            fields=[
                FieldError(
                    "month", "ended", f"state {month} from {month_end(period) + timedelta(days=1)}"
                )
            ],
        )
    due_on = due_date(period, due_days)
    sums = session.execute(
        select(
            TaxBill.assure_code,
            func.count(),
            func.sum(TaxBill.customs_tax),
            func.sum(TaxBill.value_added_tax),
            func.sum(TaxBill.consumption_tax),
            func.sum(TaxBill.total),
        )
        .where(TaxBill.period == period, TaxBill.status == ISSUED)
        .group_by(TaxBill.assure_code)
        .order_by(TaxBill.assure_code)
    ).all()
    existing = {
        s.guarantor_code: s
        for s in session.execute(
            select(TaxStatement).where(TaxStatement.period == period).with_for_update()
        ).scalars()
    }
    made = Made(period, due_on)
    now = utcnow()
    for code, count, customs, vat, consumption, total in sums:
        row = existing.get(code)
        if row is None:
            row = TaxStatement(
                guarantor_code=code,
                period=period,
                bills=0,
                customs_tax=ZERO,
                value_added_tax=ZERO,
                consumption_tax=ZERO,
                total=ZERO,
                due_on=due_on,
                paid=ZERO,
                paid_on=None,
                created_at=now,
                created_by=by.name,
            )
            session.add(row)
            made.created.append(row)
        else:
            made.extended.append(row)
        row.bills += int(count)
        row.customs_tax += Decimal(customs or 0)
        row.value_added_tax += Decimal(vat or 0)
        row.consumption_tax += Decimal(consumption or 0)
        row.total += Decimal(total or 0)
        made.bills += int(count)
        session.flush()
        _settle(session, row)
    session.execute(
        update(TaxBill)
        .where(TaxBill.period == period, TaxBill.status == ISSUED)
        .values(status=SUMMARISED)
    )
    session.flush()
    if made.created or made.extended:
        _record(
            session,
            by,
            "tax.statements.make",
            ("tax_period", period),
            f"{len(made.created)} statement(s) made, {len(made.extended)} extended, "
            f"{made.bills} bill(s), due {due_on}",
            due_on=due_on,
        )
    return made


def _settle(session: Session, row: TaxStatement) -> None:
    """Bring ``paid`` and ``paid_on`` in line with the statement's payments."""
    payments = [(p.paid_on, p.amount) for p in payments_of(session, row.id)]
    row.paid = sum((a for _, a in payments), ZERO)
    if row.total <= ZERO:
        row.paid_on = month_end(row.period)  # nothing to pay
    else:
        row.paid_on = settled_on(row.total, payments)
    session.flush()


# -- payments ------------------------------------------------------------------------------------


def get(session: Session, statement_id: int, *, for_update: bool = False) -> TaxStatement:
    query = select(TaxStatement).where(TaxStatement.id == statement_id)
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound(f"no tax statement {statement_id}")
    return row


def payments_of(session: Session, statement_id: int) -> Sequence[TaxPayment]:
    return (
        session.execute(
            select(TaxPayment)
            .where(TaxPayment.statement_id == statement_id)
            .order_by(TaxPayment.paid_on, TaxPayment.id)
        )
        .scalars()
        .all()
    )


def record_payment(
    session: Session,
    statement_id: int,
    *,
    amount: Decimal,
    paid_on: date,
    by: Actor,
    reference: str = "",
    note: str = "",
    on: date | None = None,
) -> TaxPayment:
    """Record a payment received against a statement (part of it, or the rest). It may
    not be in the future, before the month stated, or more than is owed."""
    row = get(session, statement_id, for_update=True)
    on = on or today()
    outstanding = max(row.total - row.paid, ZERO)
    problems = []
    if amount <= ZERO:
        problems.append(FieldError("amount", "exclusiveMinimum=0", f"{amount} is not positive"))
    elif amount > outstanding:
        problems.append(
            FieldError(
                "amount",
                f"maximum={outstanding.quantize(CENT)}",
                f"{amount} is more than the {outstanding.quantize(CENT)} owed on statement "
                f"{row.id}",
            )
        )
    if paid_on > on:
        problems.append(FieldError("paidOn", "not-future", f"{paid_on} is after {on}"))
    first = month_end(row.period).replace(day=1)
    if paid_on < first:
        problems.append(
            FieldError("paidOn", f"minimum={first}", f"{paid_on} is before the month stated")
        )
    if problems:
        raise BadRequest("invalid payment", fields=problems)
    payment = TaxPayment(
        statement_id=row.id,
        paid_on=paid_on,
        amount=amount,
        reference=reference,
        note=note,
        recorded_at=utcnow(),
        recorded_by=by.name,
    )
    session.add(payment)
    session.flush()
    _settle(session, row)
    _record(
        session,
        by,
        "tax.payment.record",
        ("enterprise", row.guarantor_code),
        note or f"payment against statement {row.id} ({row.period})",
        statement=row.id,
        amount=str(amount),
        paid_on=paid_on,
        reference=reference,
    )
    return payment


# -- reading ------------------------------------------------------------------------------------


def statements(
    session: Session,
    *,
    guarantor: str | None = None,
    period: str | None = None,
    state: str | None = None,
    on: date | None = None,
    limit: int = 1000,
) -> list[tuple[TaxStatement, Standing]]:
    """Statements (newest month first, then by guarantee) with where each stands on
    ``on`` (default today); ``state`` keeps those in that state."""
    if state is not None and state not in STATES:
        raise BadRequest(
            f"unknown state {state!r}",
            fields=[FieldError("state", "enumeration=" + "|".join(STATES), state)],
        )
    on = on or today()
    query = select(TaxStatement).order_by(TaxStatement.period.desc(), TaxStatement.guarantor_code)
    if guarantor:
        query = query.where(TaxStatement.guarantor_code == guarantor)
    if period:
        query = query.where(TaxStatement.period == period)
    if state in (OPEN, OVERDUE):
        query = query.where(TaxStatement.paid_on.is_(None))
        query = query.where(
            TaxStatement.due_on < on if state == OVERDUE else TaxStatement.due_on >= on
        )
    out = []
    for row in session.execute(query).scalars():
        found = standing(row.total, row.paid, row.due_on, row.paid_on, on)
        if state is None or found.state == state:
            out.append((row, found))
            if len(out) >= limit:
                break
    return out


def of_guarantors(
    session: Session, codes: Iterable[str], before: date
) -> dict[str, list[TaxStatement]]:
    """The statements of ``codes`` due before ``before``, by guarantee."""
    wanted = sorted(set(codes))
    out: dict[str, list[TaxStatement]] = {}
    for start in range(0, len(wanted), 500):
        rows = session.execute(
            select(TaxStatement)
            .where(
                TaxStatement.guarantor_code.in_(wanted[start : start + 500]),
                TaxStatement.due_on < before,
            )
            .order_by(TaxStatement.period)
        ).scalars()
        for row in rows:
            out.setdefault(row.guarantor_code, []).append(row)
    return out
