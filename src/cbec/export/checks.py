"""What an export list must satisfy before it is released, with no database in sight.

=========== ====================================================================
E01.order   (not a finding: the list waits) the order its trade mode needs
E02.keys    the order names the same platform, enterprise and currency
E03.lines   every list line is on the order with the same quantity and value
E04.weight  net weight not above gross weight
E05.bonded  a bonded (1210) export names its bonded account (emsNo)
=========== ====================================================================

Which documents each trade mode needs is data (:data:`NEEDS`): 9610 retail and 9710 B2B
direct exports carry an order; 9810 goods go to an overseas warehouse before they are
sold, so they leave on the list alone.
"""

from __future__ import annotations

from collections.abc import Mapping

from cbec.errors import FieldError
from cbec.messages.models import ExportInventory, ExportOrder

#: trade mode -> the documents its list needs before release (besides itself)
NEEDS: Mapping[str, frozenset[str]] = {
    "9610": frozenset({"order"}),
    "9710": frozenset({"order"}),
    "9810": frozenset(),
    "1210": frozenset({"order"}),
}

HEAD = "CEB603Message/Inventory/InventoryHead"


def needs_order(trade_mode: str) -> bool:
    return "order" in NEEDS.get(trade_mode, frozenset({"order"}))


def check(listed: ExportInventory, order: ExportOrder | None) -> list[FieldError]:
    """Every problem of a list against its order (``None`` when its mode needs none)."""
    head = listed.inventoryHead
    found: list[FieldError] = []
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
