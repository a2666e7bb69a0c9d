"""``/api/v1/tax/statements``: the monthly tax statements of each guarantee and the payments
customs received against them.

Reviewers and administrators state a month and record payments; risk analysts and
investigators read too; an enterprise reads its own statements with its API key. Every
change is in the audit log; routes that write commit before answering.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from cbec.audit.service import Actor
from cbec.bounds import BigId
from cbec.clearance import statements
from cbec.clearance.statement_schemas import MadeOut, PaymentIn, StatementOut, StatementsIn
from cbec.deps import EnterpriseDep, SessionDep, SettingsDep, require_role
from cbec.officers.roles import Role
from cbec.store.models import Officer, TaxStatement

router = APIRouter(prefix="/api/v1/tax", tags=["tax statements"])

Reader = Annotated[
    Officer,
    Depends(require_role(Role.REVIEWER, Role.RISK_ANALYST, Role.INVESTIGATOR, Role.ADMINISTRATOR)),
]
Collector = Annotated[Officer, Depends(require_role(Role.REVIEWER, Role.ADMINISTRATOR))]
Month = Annotated[str | None, Query(pattern=r"^\d{4}-?\d{2}$", description="YYYY-MM")]
State = Annotated[
    str | None, Query(pattern="^(paid|paid_late|open|overdue)$", description="where it stands")
]
On = Annotated[date | None, Query(description="where statements stand on this day (today)")]


@router.post("/statements", status_code=201)
def make_statements(
    data: StatementsIn, session: SessionDep, settings: SettingsDep, officer: Collector
) -> MadeOut:
    """State a month that has ended: the tax bills of its released lists summed per
    guarantee, due ``dueDays`` (default ``CBEC_TAX_DUE_DAYS``) after the month ends."""
    made = statements.make(
        session,
        data.month,
        by=Actor.officer(officer.username),
        due_days=settings.tax_due_days if data.due_days is None else data.due_days,
    )
    session.commit()
    on = statements.today()

    def out(row: TaxStatement) -> StatementOut:
        return StatementOut.of(
            row, statements.standing(row.total, row.paid, row.due_on, row.paid_on, on)
        )

    return MadeOut(
        period=made.period,
        due_on=made.due_on,
        bills=made.bills,
        created=[out(r) for r in made.created],
        extended=[out(r) for r in made.extended],
    )


@router.get("/statements")
def list_statements(
    session: SessionDep,
    _officer: Reader,
    guarantor: Annotated[str | None, Query(description="the guarantee's customs code")] = None,
    month: Month = None,
    state: State = None,
    on: On = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> list[StatementOut]:
    """Statements, newest month first; ``state=overdue`` lists what is owed past its date."""
    period = statements.period_of(month) if month else None
    found = statements.statements(
        session, guarantor=guarantor, period=period, state=state, on=on, limit=limit
    )
    return [StatementOut.of(row, standing) for row, standing in found]


@router.get("/statements/{statement_id}")
def get_statement(
    statement_id: BigId, session: SessionDep, _officer: Reader, on: On = None
) -> StatementOut:
    """One statement with its payments."""
    row = statements.get(session, statement_id)
    standing = statements.standing(
        row.total, row.paid, row.due_on, row.paid_on, on or statements.today()
    )
    return StatementOut.of(row, standing, list(statements.payments_of(session, row.id)))


@router.post("/statements/{statement_id}/payments", status_code=201)
def record_payment(
    statement_id: BigId, data: PaymentIn, session: SessionDep, officer: Collector
) -> StatementOut:
    """Record a payment received (all or part of what is owed; not in the future)."""
    statements.record_payment(
        session,
        statement_id,
        amount=data.amount,
        paid_on=data.paid_on,
        reference=data.reference,
        note=data.note,
        by=Actor.officer(officer.username),
    )
    session.commit()
    return get_statement(statement_id, session, officer)


@router.get("/my-statements")
def my_statements(
    session: SessionDep, enterprise: EnterpriseDep, month: Month = None
) -> list[StatementOut]:
    """Your tax statements as a guarantee, with where each stands today."""
    period = statements.period_of(month) if month else None
    found = statements.statements(session, guarantor=enterprise.customs_code, period=period)
    return [StatementOut.of(row, standing) for row, standing in found]
