"""The three documents side by side: every disagreement marked, personal data masked."""

from __future__ import annotations

from cbec.messages import codec
from cbec.messages.models import CEB311Message, CEB411Message, CEB511Message, CEB621Message
from cbec.web.documents import Docs, head_rows, line_rows
from tests.intake.conftest import inventory, order, payment, waybill


def docs(**changes: dict[str, str]) -> Docs:
    o = codec.from_xml(order(**changes.get("order", {})))
    p = codec.from_xml(payment(**changes.get("payment", {})))
    w = codec.from_xml(waybill(**changes.get("waybill", {})))
    i = codec.from_xml(inventory(**changes.get("inventory", {})))
    assert isinstance(o, CEB311Message)
    assert isinstance(p, CEB411Message)
    assert isinstance(w, CEB511Message)
    assert isinstance(i, CEB621Message)
    return Docs(inventory=i.inventory, order=o.order, payment=p.payment, waybill=w.logistics)


def test_agreeing_documents_mark_nothing() -> None:
    rows = head_rows(docs())
    assert not [r.label for r in rows if r.disagrees]
    assert not [line for line in line_rows(docs()) if line.qty[2] or line.missing_on]


def test_a_different_payer_is_marked_on_the_payment_only_and_stays_masked() -> None:
    rows = {r.field: r for r in head_rows(docs(payment={"payerIdNumber": "110105194912310029"}))}
    ids = rows["buyerIdNumber"]
    assert ids.disagrees
    assert [c.differs for c in ids.cells] == [False, False, True, False]
    assert [c.shown for c in ids.cells[:3]] == [
        "110*************2X",
        "110*************2X",
        "110*************29",
    ]
    assert "11010519491231002X" not in repr(rows)
    assert rows["buyerTelephone"].cells[0].shown == "138****5678"


def test_amounts_compare_as_numbers_and_weights_across_documents() -> None:
    rows = {r.field: r for r in head_rows(docs(waybill={"weight": "2.10", "freight": "5"}))}
    assert not rows["grossWeight"].disagrees  # 2.1 = 2.10
    assert rows["freight"].disagrees
    assert [c.differs for c in rows["freight"].cells] == [False, False, False, True]


def test_a_missing_document_leaves_its_column_empty() -> None:
    full = docs()
    rows = head_rows(Docs(inventory=full.inventory, order=full.order))
    order_no = rows[0]
    assert [c.present for c in order_no.cells] == [True, True, False, False]
    assert not order_no.disagrees
