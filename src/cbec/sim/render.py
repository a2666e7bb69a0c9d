"""An order's documents as CEB messages, in the shape of the message models.

Each function returns the content of one message as plain data (``dict`` and ``list``,
attribute names as in :mod:`cbec.messages.models`), which :func:`cbec.sim.fastxml.model_of`
turns into a validated model and :func:`cbec.sim.fastxml.fast_xml` straight into XML:
building 400,000 pydantic models for a 100,000-order day would cost more than the rest of
the simulation.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cbec.sim.enterprises import Enterprise
from cbec.sim.traffic import Order as Plan

Message = dict[str, Any]

CNY = "142"
CHINA = "142"
ID_CARD = "1"
DECLARED = "2"
KG3 = Decimal("0.001")
ZERO = Decimal(0)
PACKING = Decimal("0.1")  # kg of carton and filling per parcel


@dataclass(slots=True)
class Stamp:
    """The identity of one message: its guid, appTime, appType and envelope version."""

    guid: str
    app_time: str
    app_type: str = "1"
    version: str = "1.0"


def _transfer(sender: Enterprise) -> Message:
    return {
        "copCode": sender.code,
        "copName": sender.name,
        "dxpMode": "DXP",
        "dxpId": sender.dxp_id,
    }


def order_message(plan: Plan, stamp: Stamp, *, first_version: bool = False) -> Message:
    """The CEB311 order; ``first_version`` renders the address before a modification."""
    platform = plan.platform.enterprise
    address = plan.first_address if first_version and plan.first_address else plan.address
    head = {
        "guid": stamp.guid,
        "appType": stamp.app_type,
        "appTime": stamp.app_time,
        "appStatus": DECLARED,
        "orderType": "I",
        "orderNo": plan.order_no,
        "ebpCode": platform.code,
        "ebpName": platform.name,
        "ebcCode": plan.ebc.code,
        "ebcName": plan.ebc.name,
        "goodsValue": plan.goods_value,
        "freight": plan.freight,
        "discount": plan.discount,
        "taxTotal": plan.tax_total,
        "acturalPaid": plan.actural_paid,
        "currency": CNY,
        "buyerRegNo": plan.buyer_reg_no,
        "buyerName": plan.buyer.name,
        "buyerTelephone": plan.buyer.phone,
        "buyerIdType": ID_CARD,
        "buyerIdNumber": plan.buyer.id_number,
        "payCode": plan.payment.code,
        "payName": plan.payment.name,
        "payTransactionId": plan.pay_transaction_id,
        "consignee": plan.consignee,
        "consigneeTelephone": plan.consignee_phone,
        "consigneeAddress": address,
        "consigneeDistrict": plan.district_code,
        "note": "买家修改收货地址" if stamp.app_type == "2" else None,
    }
    lines = [
        {
            "gnum": str(line.gnum),
            "itemNo": line.goods.sku,
            "itemName": line.goods.name,
            "gmodel": line.goods.gmodel,
            "barCode": line.goods.barcode,
            "unit": line.goods.unit,
            "qty": Decimal(line.qty),
            "price": line.price,
            "totalPrice": line.total,
            "currency": CNY,
            "country": line.goods.country,
        }
        for line in plan.lines
    ]
    return {
        "guid": stamp.guid,
        "version": stamp.version,
        "order": {"orderHead": head, "orderList": lines},
        "baseTransfer": _transfer(plan.sender),
    }


def payment_message(plan: Plan, stamp: Stamp, pay_time: str) -> Message:
    """The CEB411 payment, sent by the payment company (``pay_time``: yyyyMMddHHmmss)."""
    platform = plan.platform.enterprise
    head = {
        "guid": stamp.guid,
        "appType": stamp.app_type,
        "appTime": stamp.app_time,
        "appStatus": DECLARED,
        "payCode": plan.payment.code,
        "payName": plan.payment.name,
        "payTransactionId": plan.pay_transaction_id,
        "orderNo": plan.order_no,
        "ebpCode": platform.code,
        "ebpName": platform.name,
        "payerIdType": ID_CARD,
        "payerIdNumber": plan.payer.id_number,
        "payerName": plan.payer.name,
        "telephone": plan.payer.phone,
        "amountPaid": plan.amount_paid,
        "currency": CNY,
        "payTime": pay_time,
    }
    return {
        "guid": stamp.guid,
        "version": stamp.version,
        "payment": {"paymentHead": head},
        "baseTransfer": _transfer(plan.payment),
    }


def _weights(plan: Plan, qty: dict[int, int]) -> tuple[Decimal, Decimal]:
    net = sum((line.goods.net_kg * qty.get(line.gnum, line.qty) for line in plan.lines), ZERO)
    gross = sum((line.goods.gross_kg * qty.get(line.gnum, line.qty) for line in plan.lines), ZERO)
    return net.quantize(KG3), (gross + PACKING).quantize(KG3)


def waybill_message(plan: Plan, stamp: Stamp) -> Message:
    """The CEB511 waybill, sent by the logistics company."""
    _, gross = _weights(plan, {})
    goods_info = "，".join(line.goods.gname for line in plan.lines)
    head = {
        "guid": stamp.guid,
        "appType": stamp.app_type,
        "appTime": stamp.app_time,
        "appStatus": DECLARED,
        "logisticsCode": plan.logistics.code,
        "logisticsName": plan.logistics.name,
        "logisticsNo": plan.logistics_no,
        "billNo": plan.bill_no,
        "orderNo": plan.order_no,
        "freight": plan.freight,
        "insuredFee": Decimal("0.00"),
        "currency": CNY,
        "weight": gross,
        "packNo": "1",
        "goodsInfo": goods_info[:200],
        "consignee": plan.consignee,
        "consigneeAddress": plan.address,
        "consigneeTelephone": plan.consignee_phone,
    }
    return {
        "guid": stamp.guid,
        "version": stamp.version,
        "logistics": {"logisticsHead": head},
        "baseTransfer": _transfer(plan.logistics),
    }


def inventory_message(plan: Plan, stamp: Stamp, decl_date: str) -> Message:
    """The CEB621 import list, sent by the seller's declaration agent.

    A ``documents_disagree`` order shows here: lower quantities or another order's waybill.
    """
    platform = plan.platform.enterprise
    site = plan.site
    bonded = plan.bonded
    area = plan.area
    logistics = plan.list_logistics or plan.logistics
    net, gross = _weights(plan, plan.list_qty)
    head = {
        "guid": stamp.guid,
        "appType": stamp.app_type,
        "appTime": stamp.app_time,
        "appStatus": DECLARED,
        "orderNo": plan.order_no,
        "ebpCode": platform.code,
        "ebpName": platform.name,
        "ebcCode": plan.ebc.code,
        "ebcName": plan.ebc.name,
        "logisticsNo": plan.list_logistics_no or plan.logistics_no,
        "logisticsCode": logistics.code,
        "logisticsName": logistics.name,
        "copNo": plan.cop_no,
        "assureCode": plan.ebc.code,
        "emsNo": plan.seller.ems_no if bonded else None,
        "ieFlag": "I",
        "declTime": decl_date,
        "customsCode": site.bonded_customs if bonded else site.direct_customs,
        "portCode": site.bonded_customs if bonded else site.direct_port,
        "ieDate": decl_date,
        "buyerIdType": ID_CARD,
        "buyerIdNumber": plan.buyer.id_number,
        "buyerName": plan.buyer.name,
        "buyerTelephone": plan.buyer.phone,
        "consigneeAddress": plan.address,
        "agentCode": plan.agent.code,
        "agentName": plan.agent.name,
        "areaCode": area.code if area is not None else None,
        "areaName": area.name if area is not None else None,
        "tradeMode": plan.trade_mode,
        "trafMode": "Y" if bonded else "5",
        "trafNo": plan.flight,
        "billNo": plan.bill_no,
        "country": CHINA if bonded else plan.lines[0].goods.country,
        "freight": plan.freight,
        "insuredFee": Decimal("0.00"),
        "currency": CNY,
        "wrapType": "2",
        "packNo": "1",
        "grossWeight": gross,
        "netWeight": net,
    }
    lines = []
    for line in plan.lines:
        goods = line.goods
        qty = plan.list_qty.get(line.gnum, line.qty)
        lines.append(
            {
                "gnum": str(line.gnum),
                "itemRecordNo": line.item_record_no if bonded else None,
                "itemNo": goods.sku,
                "itemName": goods.name,
                "gcode": goods.hs,
                "gname": goods.gname,
                "gmodel": goods.gmodel,
                "barCode": goods.barcode,
                "country": goods.country,
                "tradeCountry": CHINA if bonded else goods.country,
                "currency": CNY,
                "qty": Decimal(qty),
                "unit": goods.unit,
                "qty1": goods.qty1 * qty,
                "unit1": goods.unit1,
                "qty2": goods.qty2 * qty if goods.qty2 is not None else None,
                "unit2": goods.unit2,
                "price": line.price,
                "totalPrice": line.price * qty,
            }
        )
    return {
        "guid": stamp.guid,
        "version": stamp.version,
        "inventory": {"inventoryHead": head, "inventoryList": lines},
        "baseTransfer": _transfer(plan.agent),
    }


def cancel_message(plan: Plan, stamp: Stamp) -> Message:
    """The CEB623 cancellation of the list (``invtNo`` as customs would have assigned it)."""
    platform = plan.platform.enterprise
    site = plan.site
    body = {
        "guid": stamp.guid,
        "appType": stamp.app_type,
        "appTime": stamp.app_time,
        "appStatus": DECLARED,
        "customsCode": site.bonded_customs if plan.bonded else site.direct_customs,
        "orderNo": plan.order_no,
        "ebpCode": platform.code,
        "ebpName": platform.name,
        "ebcCode": plan.ebc.code,
        "ebcName": plan.ebc.name,
        "logisticsNo": plan.logistics_no,
        "logisticsCode": plan.logistics.code,
        "logisticsName": plan.logistics.name,
        "copNo": plan.cop_no,
        "invtNo": plan.invt_no,
        "buyerIdType": ID_CARD,
        "buyerIdNumber": plan.buyer.id_number,
        "buyerName": plan.buyer.name,
        "buyerTelephone": plan.buyer.phone,
        "agentCode": plan.agent.code,
        "agentName": plan.agent.name,
        "reason": plan.cancel_reason or "",
    }
    return {
        "guid": stamp.guid,
        "version": stamp.version,
        "invtCancel": body,
        "baseTransfer": _transfer(plan.agent),
    }


def refund_message(plan: Plan, stamp: Stamp) -> Message:
    """The CEB625 return of all the list's goods."""
    platform = plan.platform.enterprise
    site = plan.site
    head = {
        "guid": stamp.guid,
        "appType": stamp.app_type,
        "appTime": stamp.app_time,
        "appStatus": DECLARED,
        "customsCode": site.bonded_customs if plan.bonded else site.direct_customs,
        "orderNo": plan.order_no,
        "ebpCode": platform.code,
        "ebpName": platform.name,
        "ebcCode": plan.ebc.code,
        "ebcName": plan.ebc.name,
        "copNo": plan.cop_no,
        "invtNo": plan.invt_no,
        "buyerIdType": ID_CARD,
        "buyerIdNumber": plan.buyer.id_number,
        "buyerName": plan.buyer.name,
        "buyerTelephone": plan.buyer.phone,
        "logisticsCode": plan.logistics.code,
        "logisticsName": plan.logistics.name,
        "logisticsNo": plan.logistics_no,
        "agentCode": plan.agent.code,
        "agentName": plan.agent.name,
        "reason": plan.return_reason or "",
    }
    lines = [
        {
            "gnum": str(line.gnum),
            "gcode": line.goods.hs,
            "gname": line.goods.gname,
            "qty": Decimal(line.qty),
            "unit": line.goods.unit,
        }
        for line in plan.lines
    ]
    return {
        "guid": stamp.guid,
        "version": stamp.version,
        "invtRefund": {"invtRefundHead": head, "invtRefundList": lines},
        "baseTransfer": _transfer(plan.agent),
    }
