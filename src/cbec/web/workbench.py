"""What the workbench shows of one list: its head, the three documents beside it with every
disagreement marked, the findings of the checks, why it waits (checks, rule hits, sampling),
its history and the enterprises named on it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from cbec.clearance.service import DETENTION_ROLES
from cbec.clearance.states import DETAINED
from cbec.errors import NotFound
from cbec.messages.models import MESSAGE_TYPES
from cbec.messages.receipts import INSPECTION, MANUAL_REVIEW, STATUS_TEXT
from cbec.privacy import mask_id
from cbec.store.models import Declaration, DeclarationEvent
from cbec.web import documents, queries
from cbec.web.i18n import N_

#: The queues: name -> (the statuses of its lists, title); the page translates the title.
QUEUES: dict[str, tuple[tuple[int, ...], str]] = {
    "review": ((MANUAL_REVIEW,), N_("Review")),
    "inspection": ((INSPECTION,), N_("Inspection")),
    # held after inspection or by a control instruction, until their department ends it
    "detained": (tuple(sorted(DETAINED)), N_("Detained")),
}

_REASON = re.compile(r"^\[([^\]]+)\]\s*(.*)$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    text: str

    @property
    def kind(self) -> str:
        """``check`` (C..), ``sample`` (S..) or ``risk`` (anything else)."""
        if self.code.startswith("S."):
            return "sample"
        if re.match(r"C\d", self.code):
            return "check"
        return "risk"


def reasons(text: str) -> list[Reason]:
    """The decision's reasons (``[C09.weight] ...; [S.review] ...``), one by one.

    >>> [(r.code, r.kind) for r in reasons("[C09.weight] odd; [S.review] random; [R7] x")]
    [('C09.weight', 'check'), ('S.review', 'sample'), ('R7', 'risk')]
    """
    out = []
    for part in re.split(r";\s(?=\[)", text or ""):
        part = part.strip()
        if not part:
            continue
        match = _REASON.match(part)
        out.append(Reason(match[1], match[2]) if match else Reason("", part))
    return out


@dataclass(frozen=True, slots=True)
class Party:
    role: str
    code: str
    name: str
    status: str
    klass: str | None
    review_rate: Decimal | None
    inspection_rate: Decimal | None


@dataclass(frozen=True, slots=True)
class Item:
    declaration: Declaration
    status_text: str
    queue: str | None
    buyer: str
    titles: tuple[str, ...]
    present: tuple[bool, ...]
    rows: list[documents.Row]
    lines: list[documents.LineRow]
    findings: list[dict[str, str]]
    reasons: list[Reason]
    hits: list[queries.HitRow] | None
    events: list[DeclarationEvent]
    parties: list[Party]
    #: for a detained list: the roles that may end its detention
    ends_detention: tuple[str, ...] = ()

    @property
    def disagreements(self) -> int:
        return sum(1 for r in self.rows if r.disagrees) + sum(
            1
            for line in self.lines
            if line.missing_on or line.qty[2] or line.price[2] or line.total[2]
        )


#: The business node of each kind of message (``CEB511Message.logistics``, ...).
_NODE = {"inventory": "inventory", "order": "order", "payment": "payment", "waybill": "logistics"}


def _parse(found: dict[str, tuple[str, str]], kind: str) -> Any:
    if kind not in found:
        return None
    message_type, body = found[kind]
    return getattr(MESSAGE_TYPES[message_type].model_validate_json(body), _NODE[kind])


def item(session: Session, invt_no: str) -> Item:
    """Everything the workbench shows of list ``invt_no`` (404 if there is none)."""
    d = queries.declaration(session, invt_no)
    if d is None:
        raise NotFound(f"no list {invt_no}")
    found = queries.documents(session, d)
    docs = documents.Docs(
        inventory=_parse(found, "inventory"),
        order=_parse(found, "order"),
        payment=_parse(found, "payment"),
        waybill=_parse(found, "waybill"),
    )
    findings: list[dict[str, str]] = json.loads(d.findings or "[]")
    flagged = documents.flagged_fields(findings)
    codes = {
        N_("E-commerce enterprise"): d.ebc_code,
        N_("Platform"): d.ebp_code,
        N_("Declaration agent"): d.agent_code,
        N_("Logistics"): d.logistics_code,
    }
    if d.pay_code:
        codes[N_("Payment")] = d.pay_code
    firms = queries.enterprises(session, codes.values())
    classes = queries.enterprise_classes(session, codes.values())
    parties = []
    for role, code in codes.items():
        firm = firms.get(code)
        parties.append(
            Party(
                role=role,
                code=code,
                name=firm.name if firm else N_("(not filed)"),
                status=firm.status if firm else N_("unknown"),
                klass=classes.get(code),
                review_rate=firm.review_rate if firm else None,
                inspection_rate=firm.inspection_rate if firm else None,
            )
        )
    queue = next((name for name, (statuses, _) in QUEUES.items() if d.status in statuses), None)
    return Item(
        declaration=d,
        status_text=STATUS_TEXT.get(d.status, ""),
        queue=queue,
        buyer=mask_id(d.buyer_id_number),
        titles=tuple(documents.TITLES[c] for c in documents.COLUMNS),
        present=(
            docs.inventory is not None,
            docs.order is not None,
            docs.payment is not None,
            docs.waybill is not None,
        ),
        rows=documents.head_rows(docs, flagged),
        lines=documents.line_rows(docs),
        findings=findings,
        reasons=reasons(d.reasons),
        hits=queries.hits_of(session, d.id),
        events=list(queries.events(session, d.id)),
        parties=parties,
        ends_detention=DETENTION_ROLES.get(d.status, ()),
    )
