"""The payment companies page (``/payments``): the concentration report, ranked, each
score explained component by component, and each company's verification requests as CSV
(payer and buyer IDs cut to their last 4 characters; the export is audited)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cbec.audit.service import Actor
from cbec.network import payments
from cbec.officers.roles import Role
from cbec.store.models import Officer
from cbec.web import signin

#: Who reads the report and takes the requests out (as ``/api/v1/network/payments``).
READERS = (Role.RISK_ANALYST, Role.INVESTIGATOR)


def context(session: Session, officer: Officer) -> dict[str, Any]:
    """The report with the default thresholds, highest score first."""
    signin.need_any(officer, *READERS)
    return {"report": payments.report(session)}


def requests_csv(session: Session, officer: Officer, code: str) -> tuple[str, str]:
    """(file name, CSV) of one company's verification requests, written to the audit log."""
    signin.need_any(officer, *READERS)
    out = payments.verification_requests(session, code, Actor.officer(officer.username))
    return f"verification-{out.pay_code}.csv", payments.render(out, "csv")
