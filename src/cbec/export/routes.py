"""``/api/v1/export``: summary declarations and statistics.

Export orders and lists arrive through ``POST /api/v1/messages`` like every message; their
receipts (CEB604, CEB702) through ``/api/v1/receipts``. Enterprises read their declarations
with the links from each list line to its declaration line (for the tax rebate); customs
runs the month's summary and reads statistics per trade mode.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from cbec.deps import EnterpriseDep, SessionDep, require_role
from cbec.export.schemas import DeclarationOut, ModeStatistics, Month, SummariseIn, SummaryRunOut
from cbec.export.service import Exports, run_day
from cbec.messages import codec
from cbec.officers.roles import Role
from cbec.store.models import ExportDeclarationLink, Officer, utcnow

router = APIRouter(prefix="/api/v1/export", tags=["export"])

Administrator = Annotated[Officer, Depends(require_role(Role.ADMINISTRATOR))]
Reader = Annotated[
    Officer,
    Depends(require_role(Role.ADMINISTRATOR, Role.RISK_ANALYST, Role.REVIEWER, Role.INSPECTOR)),
]


@router.post("/summaries", status_code=201)
def summarise(
    data: SummariseIn, request: Request, session: SessionDep, _officer: Administrator
) -> SummaryRunOut:
    """Summarise the month's closed B-flag lists (released and gone, by export date) into
    declarations; released lists whose goods have not left are counted in ``notExited``.
    A run after the deadline (the 15th of the next month) is marked late."""
    settings = request.app.state.settings
    exports = Exports(session)
    run = exports.summarise(
        data.month,
        run_on=run_day(utcnow()),
        key=data.key or settings.export_summary_key,
        deadline_day=settings.export_summary_deadline_day,
    )
    session.commit()
    return SummaryRunOut(
        period=run.period,
        late=run.late,
        key=list(run.key),
        lists=run.lists,
        not_exited=run.not_exited,
        summaries=[s.sum_no or "" for s in run.summaries],
        declaration_count=run.declaration_count,
        declarations=[DeclarationOut.of(d) for d in run.declarations[:1000]],
    )


@router.get("/my-declarations")
def my_declarations(
    session: SessionDep, enterprise: EnterpriseDep, month: Annotated[Month | None, Query()] = None
) -> list[DeclarationOut]:
    """The caller's export declarations, each with the list lines it holds."""
    exports = Exports(session)
    rows = exports.declarations(month, enterprise.customs_code)
    links: dict[int, list[ExportDeclarationLink]] = {}
    for link in exports.links([r.id for r in rows]):
        links.setdefault(link.declaration_id, []).append(link)
    return [DeclarationOut.of(r, links.get(r.id, [])) for r in rows]


@router.get("/my-declarations/{entry_id}/ceb792")
def my_ceb792(entry_id: str, session: SessionDep, enterprise: EnterpriseDep) -> Response:
    """One declaration as its CEB792 summary result (XML)."""
    exports = Exports(session)
    message = exports.ceb792(exports.declaration(entry_id, enterprise.customs_code))
    return Response(codec.to_xml(message), media_type="application/xml")


@router.get("/statistics")
def statistics(
    session: SessionDep, _officer: Reader, month: Annotated[Month, Query()]
) -> dict[str, ModeStatistics]:
    """Per trade mode (9610, 9710, 9810 and bonded 1210 reported apart): lists of the
    month by export date, released, exited, rejected, waiting, value, declarations."""
    return {
        mode: ModeStatistics(**values)
        for mode, values in Exports(session).statistics(month).items()
    }
