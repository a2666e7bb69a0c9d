"""What an export list must satisfy before it is released, with no database in sight.

=========== ====================================================================
E01.order   (not a finding: the list waits) the order its trade mode needs
E02.keys    the order names the same platform, enterprise and currency
E03.lines   every list line is on the order with the same quantity and value
E04.weight  net weight not above gross weight
E05.bonded  a bonded (1210) export names its bonded account (emsNo)
E06.waybill its waybill (CEB505) names the same e-commerce enterprise, if it names one
=========== ====================================================================

Which documents each trade mode needs is data (:data:`NEEDS`): 9610 retail and 9710 B2B
direct exports carry an order; 9810 goods go to an overseas warehouse before they are
sold, so they leave without one. Every list also waits for its waybill (CEB505, the same
logisticsCode and logisticsNo) and for an arrival report (CEB507) naming that waybill:
the goods are released only once they are at the supervised site.
"""

from __future__ import annotations

from collections.abc import Mapping

from cbec.errors import FieldError
from cbec.messages.models import ExportInventory, ExportLogistics, ExportOrder

#: trade mode -> the documents its list needs before release (besides itself)
NEEDS: Mapping[str, frozenset[str]] = {
    "9610": frozenset({"order", "waybill", "arrival"}),
    "9710": frozenset({"order", "waybill", "arrival"}),
    "9810": frozenset({"waybill", "arrival"}),
    "1210": frozenset({"order", "waybill", "arrival"}),
}
#: the order the documents are named in a receipt, and how
DOCUMENTS: Mapping[str, str] = {
    "order": "its order (CEB303)",
    "waybill": "its waybill (CEB505)",
    "arrival": "an arrival report naming its waybill (CEB507)",
}

HEAD = "CEB603Message/Inventory/InventoryHead"


def needs(trade_mode: str) -> frozenset[str]:
    """The documents a list of ``trade_mode`` waits for (all of them for an unknown mode)."""
    return NEEDS.get(trade_mode, frozenset(DOCUMENTS))


def needs_order(trade_mode: str) -> bool:
    return "order" in needs(trade_mode)


def waiting_text(missing: list[str]) -> str:
    """``["waybill", "arrival"]`` -> what a receipt says the list waits for."""
    return ", ".join(DOCUMENTS[m] for m in DOCUMENTS if m in missing)


def check(
    listed: ExportInventory, order: ExportOrder | None, waybill: ExportLogistics | None = None
) -> list[FieldError]:
    """Every problem of a list against its order (``None`` when its mode needs none) and
    its waybill."""
    head = listed.inventoryHead
    found: list[FieldError] = []
    if waybill is not None and waybill.ebcCode and waybill.ebcCode != head.ebcCode:
        found.append(
            FieldError(
                f"{HEAD}/ebcCode",
                "E06.waybill",
                f"ebcCode {head.ebcCode} differs from {waybill.ebcCode} on waybill "
                f"{waybill.logisticsNo}",
            )
        )
    if head.netWeight > head.grossWeight:
        found.append(
            FieldError(
                f"{HEAD}/netWeight",
                "E04.weight",
                f"net weight {head.netWeight} above gross weight {head.grossWeight}",
            )
        )
    if head.tradeMode == "1210" and not head.emsNo:
        found.append(
            FieldError(f"{HEAD}/emsNo", "E05.bonded", "a bonded export (1210) names its emsNo")
        )
    if order is None:
        return found
    o = order.orderHead
    for field, mine, theirs in (
        ("ebpCode", head.ebpCode, o.ebpCode),
        ("ebcCode", head.ebcCode, o.ebcCode),
        ("currency", head.currency, o.currency),
    ):
        if mine != theirs:
            found.append(
                FieldError(
                    f"{HEAD}/{field}",
                    "E02.keys",
                    f"{field} {mine} differs from {theirs} on the order",
                )
            )
    ordered = {line.gnum: line for line in order.orderList}
    for n, line in enumerate(listed.inventoryList, start=1):
        path = f"CEB603Message/Inventory/InventoryList[{n}]"
        match = ordered.get(line.gnum)
        if match is None:
            found.append(
                FieldError(f"{path}/gnum", "E03.lines", f"line {line.gnum} is not on the order")
            )
            continue
        if match.qty != line.qty:
            found.append(
                FieldError(
                    f"{path}/qty",
                    "E03.lines",
                    f"quantity {line.qty} differs from {match.qty} ordered",
                )
            )
        if match.totalPrice != line.totalPrice:
            found.append(
                FieldError(
                    f"{path}/totalPrice",
                    "E03.lines",
                    f"value {line.totalPrice} differs from {match.totalPrice} on the order",
                )
            )
    return found
