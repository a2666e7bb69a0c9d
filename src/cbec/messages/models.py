"""The CEB messages as typed models: the one source of truth for names, order, lengths and
required-ness. The XML codec, the published XSDs and the JSON (OpenAPI) schema all derive
from the classes below.

Attribute names are the CEB element names exactly as the specification spells them
(``acturalPaid`` included); a child node's XML element name is its attribute name with the
first letter upper-cased (``orderHead`` <-> ``<OrderHead>``), which is also how the JSON
gateways nest them (``{"order": {"orderHead": {...}, "orderList": [...]}}``). Declaration
order is element order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from cbec.messages.fields import Choice, Code, Dec, Integer, Text, Timestamp

# Reused field types.
Guid = Annotated[
    str,
    Text(
        36,
        "message id: an uppercase UUID or the sender's own id",
        pattern=r"^[0-9A-Za-z_\-]{1,36}$",
    ),
]
AppType = Annotated[str, Choice("1", "2", "3", doc="1 new, 2 modify, 3 delete")]
AppTime = Annotated[str, Timestamp(14, "yyyyMMddHHmmss, Beijing time")]
AppStatus = Annotated[str, Choice("1", "2", doc="1 saved, 2 declared")]
EntCode = Annotated[str, Code(18, "enterprise code filed with customs")]
EntName = Annotated[str, Text(100, "enterprise name")]
OrderNo = Annotated[str, Text(60, "order number given by the platform")]
Money = Annotated[Decimal, Dec("amount, decimal(19,5)")]
Quantity = Annotated[Decimal, Dec("quantity, decimal(19,5), above zero", positive=True)]
Price = Annotated[Decimal, Dec("unit price, decimal(19,5), above zero", positive=True)]
Currency = Annotated[str, Code(3, "customs currency code (142 = CNY)", exact=True, digits=True)]
Country = Annotated[str, Code(3, "customs country code", exact=True, digits=True)]
Unit = Annotated[str, Code(3, "customs unit code (011 piece, 035 kg)", exact=True, digits=True)]
IdType = Annotated[str, Choice("1", "2", doc="1 resident ID card, 2 other")]
IdNumber = Annotated[str, Text(60, "identity document number")]
PersonName = Annotated[str, Text(60, "name of a person")]
Phone = Annotated[str, Text(50, "telephone")]
Address = Annotated[str, Text(200, "address")]
Gnum = Annotated[str, Integer(4, "line number, from 1")]
CustomsCode = Annotated[str, Code(4, "4-digit customs code", exact=True, digits=True)]
Note = Annotated[str, Text(1000, "remarks")]
ReturnStatus = Annotated[str, Text(4, "receipt status code", pattern=r"^-?[0-9]{1,3}$")]
ReturnTime = Annotated[str, Timestamp(17, "yyyyMMddHHmmssSSS, Beijing time")]
ReturnInfo = Annotated[str, Text(1000, "receipt text")]


class Node(BaseModel):
    """A business node of a CEB message. Unknown elements are refused."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)


# --- CEB311 electronic order -----------------------------------------------------------


class OrderHead(Node):
    guid: Guid
    appType: AppType
    appTime: AppTime
    appStatus: AppStatus
    orderType: Annotated[str, Choice("I", "E", doc="I import, E export")]
    orderNo: OrderNo
    ebpCode: EntCode
    ebpName: EntName
    ebcCode: EntCode
    ebcName: EntName
    goodsValue: Money
    freight: Money
    discount: Money
    taxTotal: Money
    acturalPaid: Money
    currency: Currency
    buyerRegNo: Annotated[str, Text(60, "buyer's account on the platform")]
    buyerName: PersonName
    buyerTelephone: Phone
    buyerIdType: IdType
    buyerIdNumber: IdNumber
    payCode: EntCode | None = None
    payName: EntName | None = None
    payTransactionId: Annotated[str, Text(60, "payment transaction id")] | None = None
    batchNumbers: Annotated[str, Text(100, "batch numbers")] | None = None
    consignee: Annotated[str, Text(100, "consignee")]
    consigneeTelephone: Phone
    consigneeAddress: Address
    consigneeDistrict: (
        Annotated[str, Code(6, "administrative division code", digits=True)] | None
    ) = None
    note: Note | None = None


class OrderList(Node):
    gnum: Gnum
    itemNo: Annotated[str, Text(30, "enterprise item number")] | None = None
    itemName: Annotated[str, Text(250, "item name on the platform")]
    gmodel: Annotated[str, Text(250, "specification and model")]
    itemDescribe: Annotated[str, Text(1000, "item description")] | None = None
    barCode: Annotated[str, Text(50, "bar code")] | None = None
    unit: Unit
    qty: Quantity
    price: Price
    totalPrice: Price
    currency: Currency
    country: Country
    note: Note | None = None


class Order(Node):
    orderHead: OrderHead
    orderList: list[OrderList] = Field(min_length=1)  # 1..n lines


# --- CEB411 payment record -------------------------------------------------------------


class PaymentHead(Node):
    guid: Guid
    appType: AppType
    appTime: AppTime
    appStatus: AppStatus
    payCode: EntCode
    payName: EntName
    payTransactionId: Annotated[str, Text(60, "payment transaction id")]
    orderNo: OrderNo
    ebpCode: EntCode
    ebpName: EntName
    payerIdType: IdType
    payerIdNumber: IdNumber
    payerName: PersonName
    telephone: Phone | None = None
    amountPaid: Money
    currency: Currency
    payTime: AppTime
    note: Note | None = None


class Payment(Node):
    paymentHead: PaymentHead


# --- CEB511 waybill --------------------------------------------------------------------


class LogisticsHead(Node):
    guid: Guid
    appType: AppType
    appTime: AppTime
    appStatus: AppStatus
    logisticsCode: EntCode
    logisticsName: EntName
    logisticsNo: Annotated[str, Text(60, "waybill number")]
    billNo: Annotated[str, Text(37, "bill of lading number")] | None = None
    orderNo: OrderNo
    freight: Money | None = None
    insuredFee: Money | None = None
    currency: Currency | None = None
    weight: Annotated[Decimal, Dec("gross weight in kg", positive=True)]
    packNo: Annotated[str, Integer(9, "number of packages")] | None = None
    goodsInfo: Annotated[str, Text(200, "main goods")] | None = None
    consignee: Annotated[str, Text(100, "consignee")]
    consigneeAddress: Address
    consigneeTelephone: Phone
    note: Note | None = None


class Logistics(Node):
    logisticsHead: LogisticsHead


# --- CEB621 retail import list ---------------------------------------------------------


class InventoryHead(Node):
    guid: Guid
    appType: AppType
    appTime: AppTime
    appStatus: AppStatus
    orderNo: OrderNo
    ebpCode: EntCode
    ebpName: EntName
    ebcCode: EntCode
    ebcName: EntName
    logisticsNo: Annotated[str, Text(60, "waybill number")]
    logisticsCode: EntCode
    logisticsName: EntName
    copNo: Annotated[str, Text(20, "the sender's own number for this list")]
    preNo: Annotated[str, Text(18, "pre-entry number assigned by the e-port")] | None = None
    assureCode: EntCode | None = None
    emsNo: Annotated[str, Text(12, "bonded account book number")] | None = None
    invtNo: Annotated[str, Text(18, "list number assigned by customs")] | None = None
    ieFlag: Annotated[str, Choice("I", "E", doc="I import, E export")]
    declTime: Annotated[str, Timestamp(8, "declaration date yyyyMMdd")]
    customsCode: CustomsCode
    portCode: CustomsCode
    ieDate: Annotated[str, Timestamp(8, "import date yyyyMMdd")] | None = None
    buyerIdType: IdType
    buyerIdNumber: IdNumber
    buyerName: PersonName
    buyerTelephone: Phone
    consigneeAddress: Address
    agentCode: EntCode
    agentName: EntName
    areaCode: EntCode | None = None
    areaName: EntName | None = None
    tradeMode: Annotated[str, Choice("9610", "1210", "1239", doc="supervision mode")]
    trafMode: Annotated[str, Code(1, "transport mode code")]
    trafNo: Annotated[str, Text(100, "means of transport")] | None = None
    voyageNo: Annotated[str, Text(32, "voyage number")] | None = None
    billNo: Annotated[str, Text(37, "bill of lading number")] | None = None
    loctNo: Annotated[str, Text(10, "supervision site code")] | None = None
    licenseNo: Annotated[str, Text(19, "licence number")] | None = None
    country: Country
    freight: Money
    insuredFee: Money
    currency: Currency
    wrapType: Annotated[str, Code(1, "packing type code")] | None = None
    packNo: Annotated[str, Integer(9, "number of packages")] | None = None
    grossWeight: Annotated[Decimal, Dec("gross weight in kg", positive=True)]
    netWeight: Annotated[Decimal, Dec("net weight in kg", positive=True)]
    note: Note | None = None


class InventoryList(Node):
    gnum: Gnum
    itemRecordNo: Annotated[str, Text(30, "bonded item record number (1210)")] | None = None
    itemNo: Annotated[str, Text(30, "enterprise item number")] | None = None
    itemName: Annotated[str, Text(250, "item name")] | None = None
    gcode: Annotated[str, Code(10, "10-digit HS code", exact=True, digits=True)]
    gname: Annotated[str, Text(250, "goods name")]
    gmodel: Annotated[str, Text(250, "specification and model")]
    barCode: Annotated[str, Text(50, "bar code")] | None = None
    country: Country
    tradeCountry: Country | None = None
    currency: Currency
    qty: Quantity
    unit: Unit
    qty1: Quantity
    unit1: Unit
    qty2: Quantity | None = None
    unit2: Unit | None = None
    price: Price
    totalPrice: Price
    note: Note | None = None


class Inventory(Node):
    inventoryHead: InventoryHead
    inventoryList: list[InventoryList] = Field(min_length=1)  # 1..n lines


# --- CEB623 list cancellation / CEB625 return ------------------------------------------


class InvtCancel(Node):
    guid: Guid
    appType: AppType
    appTime: AppTime
    appStatus: AppStatus
    customsCode: CustomsCode
    orderNo: OrderNo
    ebpCode: EntCode
    ebpName: EntName
    ebcCode: EntCode
    ebcName: EntName
    logisticsNo: Annotated[str, Text(60, "waybill number")]
    logisticsCode: EntCode
    logisticsName: EntName
    copNo: Annotated[str, Text(20, "the sender's own number")]
    preNo: Annotated[str, Text(18, "pre-entry number")] | None = None
    invtNo: Annotated[str, Text(18, "list number assigned by customs")]
    buyerIdType: IdType
    buyerIdNumber: IdNumber
    buyerName: PersonName
    buyerTelephone: Phone
    agentCode: EntCode
    agentName: EntName
    reason: Annotated[str, Text(1000, "why the list is cancelled")]
    note: Note | None = None


class InvtRefundHead(Node):
    guid: Guid
    appType: AppType
    appTime: AppTime
    appStatus: AppStatus
    customsCode: CustomsCode
    orderNo: OrderNo
    ebpCode: EntCode
    ebpName: EntName
    ebcCode: EntCode
    ebcName: EntName
    copNo: Annotated[str, Text(20, "the sender's own number")]
    preNo: Annotated[str, Text(18, "pre-entry number")] | None = None
    invtNo: Annotated[str, Text(18, "list number assigned by customs")]
    buyerIdType: IdType
    buyerIdNumber: IdNumber
    buyerName: PersonName
    buyerTelephone: Phone
    logisticsCode: EntCode
    logisticsName: EntName
    logisticsNo: Annotated[str, Text(60, "waybill number")]
    agentCode: EntCode
    agentName: EntName
    reason: Annotated[str, Text(1000, "why the goods are returned")]
    note: Note | None = None


class InvtRefundList(Node):
    gnum: Gnum
    gcode: Annotated[str, Code(10, "10-digit HS code", exact=True, digits=True)]
    gname: Annotated[str, Text(250, "goods name")]
    qty: Quantity
    unit: Unit
    note: Note | None = None


class InvtRefund(Node):
    invtRefundHead: InvtRefundHead
    invtRefundList: list[InvtRefundList] = Field(min_length=1)  # 1..n lines


# --- CEB711 bonded warehouse entry (goods into a bonded account) ----------------------


class BondedEntryHead(Node):
    guid: Guid
    appType: AppType
    appTime: AppTime
    appStatus: AppStatus
    customsCode: CustomsCode
    entryNo: Annotated[str, Text(30, "the zone operator's own number for this entry")]
    emsNo: Annotated[str, Text(12, "bonded account book number")]
    areaCode: EntCode
    areaName: EntName
    ebcCode: EntCode
    ebcName: EntName
    entryTime: Annotated[str, Timestamp(14, "when the goods entered, yyyyMMddHHmmss")]
    declNo: Annotated[str, Text(18, "the customs entry declaration of the goods")] | None = None
    billNo: Annotated[str, Text(37, "bill of lading number")] | None = None
    note: Note | None = None


class BondedEntryList(Node):
    gnum: Gnum
    itemRecordNo: Annotated[str, Text(30, "bonded item record number")]
    itemNo: Annotated[str, Text(30, "enterprise item number")] | None = None
    gcode: Annotated[str, Code(10, "10-digit HS code", exact=True, digits=True)]
    gname: Annotated[str, Text(250, "goods name")]
    gmodel: Annotated[str, Text(250, "specification and model")] | None = None
    barCode: Annotated[str, Text(50, "bar code")] | None = None
    country: Country
    qty: Quantity
    unit: Unit
    note: Note | None = None


class BondedEntry(Node):
    bondedEntryHead: BondedEntryHead
    bondedEntryList: list[BondedEntryList] = Field(min_length=1)  # 1..n lines


# --- CEB303 export order ---------------------------------------------------------------


class ExportOrderHead(Node):
    guid: Guid
    appType: AppType
    appTime: AppTime
    appStatus: AppStatus
    orderType: Annotated[str, Choice("E", doc="E export")]
    orderNo: OrderNo
    ebpCode: EntCode
    ebpName: EntName
    ebcCode: EntCode
    ebcName: EntName
    goodsValue: Money
    freight: Money
    currency: Currency
    note: Note | None = None


class ExportOrderList(Node):
    gnum: Gnum
    itemNo: Annotated[str, Text(30, "enterprise item number")] | None = None
    itemName: Annotated[str, Text(250, "item name on the platform")]
    itemDescribe: Annotated[str, Text(1000, "item description")] | None = None
    barCode: Annotated[str, Text(50, "bar code")] | None = None
    unit: Unit
    currency: Currency
    qty: Quantity
    price: Price
    totalPrice: Price
    note: Note | None = None


class ExportOrder(Node):
    orderHead: ExportOrderHead
    orderList: list[ExportOrderList] = Field(min_length=1)  # 1..n lines


# --- CEB603 export list ----------------------------------------------------------------

ExportTradeMode = Annotated[
    str, Choice("9610", "9710", "9810", "1210", doc="supervision mode of the export")
]


class ExportInventoryHead(Node):
    guid: Guid
    appType: AppType
    appTime: AppTime
    appStatus: AppStatus
    customsCode: CustomsCode
    ebpCode: EntCode
    ebpName: EntName
    orderNo: OrderNo
    logisticsCode: EntCode
    logisticsName: EntName
    logisticsNo: Annotated[str, Text(60, "waybill number")]
    copNo: Annotated[str, Text(20, "the sender's own number for this list")]
    preNo: Annotated[str, Text(18, "pre-entry number assigned by the e-port")] | None = None
    invtNo: Annotated[str, Text(18, "list number assigned by customs")] | None = None
    ieFlag: Annotated[str, Choice("E", doc="E export")]
    portCode: CustomsCode
    ieDate: Annotated[str, Timestamp(8, "export date yyyyMMdd")]
    statisticsFlag: Annotated[str, Choice("A", "B", doc="A simplified, B summary declaration")]
    agentCode: EntCode
    agentName: EntName
    ebcCode: EntCode
    ebcName: EntName
    ownerCode: EntCode
    ownerName: EntName
    emsNo: Annotated[str, Text(12, "bonded account book number")] | None = None
    tradeMode: ExportTradeMode
    trafMode: Annotated[str, Code(1, "transport mode code")]
    trafName: Annotated[str, Text(100, "means of transport")] | None = None
    voyageNo: Annotated[str, Text(32, "voyage number")] | None = None
    billNo: Annotated[str, Text(37, "bill of lading number")] | None = None
    country: Annotated[
        str, Code(3, "customs code of the country of arrival", exact=True, digits=True)
    ]
    freight: Money
    insuredFee: Money
    currency: Currency
    wrapType: Annotated[str, Code(1, "packing type code")] | None = None
    packNo: Annotated[str, Integer(9, "number of packages")]
    grossWeight: Annotated[Decimal, Dec("gross weight in kg", positive=True)]
    netWeight: Annotated[Decimal, Dec("net weight in kg", positive=True)]
    note: Note | None = None


class ExportInventoryList(Node):
    gnum: Gnum
    itemNo: Annotated[str, Text(30, "enterprise item number")] | None = None
    itemRecordNo: Annotated[str, Text(30, "bonded item record number (1210)")] | None = None
    itemName: Annotated[str, Text(250, "item name")] | None = None
    gcode: Annotated[str, Code(10, "10-digit HS code", exact=True, digits=True)]
    gname: Annotated[str, Text(250, "goods name")]
    gmodel: Annotated[str, Text(250, "specification and model")]
    barCode: Annotated[str, Text(50, "bar code")] | None = None
    country: Country
    currency: Currency
    qty: Quantity
    unit: Unit
    qty1: Quantity
    unit1: Unit
    qty2: Quantity | None = None
    unit2: Unit | None = None
    price: Price
    totalPrice: Price
    note: Note | None = None


class ExportInventory(Node):
    inventoryHead: ExportInventoryHead
    inventoryList: list[ExportInventoryList] = Field(min_length=1)  # 1..n lines


# --- CEB701 summary application / CEB792 summary result --------------------------------


class SummaryApplyHead(Node):
    guid: Guid
    appType: AppType
    appTime: AppTime
    appStatus: AppStatus
    customsCode: CustomsCode
    copNo: Annotated[str, Text(20, "the sender's own number for this application")]
    sumNo: Annotated[str, Text(18, "summary number assigned by customs")] | None = None
    agentCode: EntCode
    agentName: EntName
    ebcCode: EntCode
    ebcName: EntName
    declAgentCode: EntCode
    declAgentName: EntName
    startTime: Annotated[str, Timestamp(8, "first release date summarised, yyyyMMdd")]
    endTime: Annotated[str, Timestamp(8, "last release date summarised, yyyyMMdd")]
    summaryFlag: Annotated[
        str,
        Choice(
            "1",
            "2",
            doc="1 every released B list of the period, 2 only the lists named below",
        ),
    ]
    itemNameFlag: Annotated[
        str, Choice("0", "1", doc="1 goods names kept apart in the lines, 0 by HS code only")
    ]
    note: Note | None = None


class SummaryApplyList(Node):
    invtNo: Annotated[str, Text(18, "list number assigned by customs")]


class SummaryApply(Node):
    summaryApplyHead: SummaryApplyHead
    summaryApplyList: list[SummaryApplyList] | None = None  # 0..n lists


class SummaryResultHead(Node):
    guid: Guid
    customsCode: CustomsCode
    sumNo: Annotated[str, Text(18, "summary number assigned by customs")]
    entryId: Annotated[str, Text(18, "export declaration number")]
    decState: Annotated[str, Text(4, "declaration state")]
    ebcCode: EntCode
    ownerCode: EntCode
    declAgentCode: EntCode
    tradeMode: ExportTradeMode
    trafMode: Annotated[str, Code(1, "transport mode code")]
    country: Country
    portCode: CustomsCode
    currency: Currency
    totalPrice: Money
    grossWeight: Annotated[Decimal, Dec("gross weight in kg")]
    netWeight: Annotated[Decimal, Dec("net weight in kg")]
    invtCount: Annotated[str, Integer(9, "number of lists summarised")]
    late: Annotated[str, Choice("0", "1", doc="1 summarised after the 15th of the next month")]
    returnTime: ReturnTime
    note: Note | None = None


class SummaryResultList(Node):
    gnum: Gnum
    gcode: Annotated[str, Code(10, "10-digit HS code", exact=True, digits=True)]
    gname: Annotated[str, Text(250, "goods name")]
    qty: Quantity
    unit: Unit
    totalPrice: Money
    currency: Currency


class SummaryResultInvt(Node):
    invtNo: Annotated[str, Text(18, "list number assigned by customs")]
    gnum: Gnum
    declGnum: Annotated[str, Integer(4, "line of the declaration it went into")]


class SummaryResult(Node):
    summaryResultHead: SummaryResultHead
    summaryResultList: list[SummaryResultList] = Field(min_length=1)
    summaryResultInvt: list[SummaryResultInvt] = Field(min_length=1)


# --- CEB505 export waybill / CEB507 arrival report / CEB509 departure ----------------
# Field names and order as two open-source implementations of the enterprise-access
# specification carry them (a Kotlin bean library and generated JAXB classes; the official
# XSDs were not reachable): CEB505 ``Logistics`` is one flat node with no orderNo (a list is
# matched to its waybill by logisticsCode and logisticsNo); CEB507 ``Arrival`` and CEB509
# ``Departure`` are a head and the waybills (``logisticsNo``) it reports, possibly split
# over several messages (``msgCount`` / ``msgSeqNo``). Lengths follow the other CEB
# messages' fields of the same name. One addition of cbec's own: an optional
# ``operatorCode`` / ``operatorName`` on the departure head (the implementations found carry
# the site operator only on the arrival report), so that a supervised-site operator may
# send a 509 naming itself; senders that omit it are read as before.

LogisticsNo = Annotated[str, Text(60, "waybill number")]
MsgCount = Annotated[str, Integer(4, "how many messages this report is split into")]
MsgSeqNo = Annotated[str, Integer(4, "this message's number among them, from 1")]


class ExportLogistics(Node):
    guid: Guid
    appType: AppType
    appTime: AppTime
    appStatus: AppStatus
    logisticsCode: EntCode
    logisticsName: EntName
    logisticsNo: LogisticsNo
    freight: Money
    insuredFee: Money
    currency: Currency
    grossWeight: Annotated[Decimal, Dec("gross weight in kg", positive=True)]
    packNo: Annotated[str, Integer(9, "number of packages")] | None = None
    goodsInfo: Annotated[str, Text(200, "main goods the carrier can see")]
    ebcCode: EntCode | None = None
    ebcName: EntName | None = None
    ebcTelephone: Phone | None = None
    note: Note | None = None


class ArrivalHead(Node):
    guid: Guid
    appType: AppType
    appTime: AppTime
    appStatus: AppStatus
    customsCode: CustomsCode
    copNo: Annotated[str, Text(20, "the sender's own number for this report")]
    preNo: Annotated[str, Text(18, "pre-entry number assigned by the e-port")] | None = None
    operatorCode: EntCode
    operatorName: EntName
    loctNo: Annotated[str, Text(10, "supervision site code")] | None = None
    ieFlag: Annotated[str, Choice("E", doc="E export")]
    trafMode: Annotated[str, Code(1, "transport mode code")]
    billNo: Annotated[str, Text(37, "bill of lading or master waybill number")] | None = None
    domesticTrafNo: Annotated[str, Text(100, "domestic means of transport")] | None = None
    logisticsCode: EntCode
    logisticsName: EntName
    msgCount: MsgCount | None = None
    msgSeqNo: MsgSeqNo | None = None
    note: Note | None = None


class ArrivalList(Node):
    gnum: Gnum
    logisticsNo: LogisticsNo
    totalPackageNo: Annotated[str, Text(50, "pallet or mail-bag number")] | None = None
    note: Note | None = None


class Arrival(Node):
    arrivalHead: ArrivalHead
    arrivalList: list[ArrivalList] = Field(min_length=1)  # 1..n waybills


class DepartureHead(Node):
    guid: Guid
    appType: AppType
    appTime: AppTime
    appStatus: AppStatus
    customsCode: CustomsCode
    copNo: Annotated[str, Text(20, "the sender's own number for this report")]
    preNo: Annotated[str, Text(18, "pre-entry number assigned by the e-port")] | None = None
    logisticsCode: EntCode
    logisticsName: EntName
    operatorCode: EntCode | None = None  # cbec's addition, see above
    operatorName: EntName | None = None
    trafMode: Annotated[str, Code(1, "transport mode code")]
    trafName: Annotated[str, Text(100, "means of transport")] | None = None
    voyageNo: Annotated[str, Text(32, "voyage number")] | None = None
    billNo: Annotated[str, Text(37, "bill of lading or master waybill number")] | None = None
    leaveTime: Annotated[str, Timestamp(14, "when the goods left, yyyyMMddHHmmss")]
    msgCount: MsgCount | None = None
    msgSeqNo: MsgSeqNo | None = None
    note: Note | None = None


class DepartureList(Node):
    gnum: Gnum
    totalPackageNo: Annotated[str, Text(50, "pallet or mail-bag number")] | None = None
    logisticsNo: LogisticsNo
    note: Note | None = None


class Departure(Node):
    departureHead: DepartureHead
    departureList: list[DepartureList] = Field(min_length=1)  # 1..n waybills


# --- envelope parts --------------------------------------------------------------------


class BaseTransfer(Node):
    copCode: EntCode
    copName: EntName
    dxpMode: Annotated[str, Text(3, "transfer mode, DXP")]
    dxpId: Annotated[str, Text(30, "transfer node id")]
    note: Note | None = None


class BaseSubscribe(Node):
    status: Annotated[str, Text(32, "statuses subscribed to")]
    dxpMode: Annotated[str, Text(3, "transfer mode, DXP")]
    dxpAddress: Annotated[str, Text(100, "transfer address")]
    note: Note | None = None


# --- receipts --------------------------------------------------------------------------


class OrderReturn(Node):
    guid: Guid
    ebpCode: EntCode
    ebcCode: EntCode
    orderNo: OrderNo
    returnStatus: ReturnStatus
    returnTime: ReturnTime
    returnInfo: ReturnInfo


class PaymentReturn(Node):
    guid: Guid
    payCode: EntCode
    payTransactionId: Annotated[str, Text(60, "payment transaction id")]
    returnStatus: ReturnStatus
    returnTime: ReturnTime
    returnInfo: ReturnInfo


class LogisticsReturn(Node):
    guid: Guid
    logisticsCode: EntCode
    logisticsNo: Annotated[str, Text(60, "waybill number")]
    returnStatus: ReturnStatus
    returnTime: ReturnTime
    returnInfo: ReturnInfo


class InventoryReturn(Node):
    guid: Guid
    customsCode: CustomsCode
    ebpCode: EntCode
    ebcCode: EntCode
    agentCode: EntCode
    copNo: Annotated[str, Text(20, "the sender's own number")]
    preNo: Annotated[str, Text(18, "pre-entry number")] | None = None
    invtNo: Annotated[str, Text(18, "list number assigned by customs")] | None = None
    returnStatus: ReturnStatus
    returnTime: ReturnTime
    returnInfo: ReturnInfo


class InvtCancelReturn(Node):
    guid: Guid
    customsCode: CustomsCode
    ebpCode: EntCode
    ebcCode: EntCode
    agentCode: EntCode
    copNo: Annotated[str, Text(20, "the sender's own number")]
    invtNo: Annotated[str, Text(18, "list number assigned by customs")] | None = None
    returnStatus: ReturnStatus
    returnTime: ReturnTime
    returnInfo: ReturnInfo


class InvtRefundReturn(InvtCancelReturn):
    pass


class BondedEntryReturn(Node):
    guid: Guid
    customsCode: CustomsCode
    areaCode: EntCode
    emsNo: Annotated[str, Text(12, "bonded account book number")]
    entryNo: Annotated[str, Text(30, "the zone operator's own number for this entry")]
    returnStatus: ReturnStatus
    returnTime: ReturnTime
    returnInfo: ReturnInfo


class ArrivalReturn(Node):
    guid: Guid
    operatorCode: EntCode
    logisticsCode: EntCode
    preNo: Annotated[str, Text(18, "pre-entry number")] | None = None
    copNo: Annotated[str, Text(20, "the sender's own number")]
    billNo: Annotated[str, Text(37, "bill of lading or master waybill number")] | None = None
    msgSeqNo: MsgSeqNo | None = None
    returnStatus: ReturnStatus
    returnTime: ReturnTime
    returnInfo: ReturnInfo


class DepartureReturn(Node):
    guid: Guid
    logisticsCode: EntCode
    copNo: Annotated[str, Text(20, "the sender's own number")]
    preNo: Annotated[str, Text(18, "pre-entry number")] | None = None
    msgSeqNo: MsgSeqNo | None = None
    returnStatus: ReturnStatus
    returnTime: ReturnTime
    returnInfo: ReturnInfo


class SummaryApplyReturn(Node):
    guid: Guid
    customsCode: CustomsCode
    agentCode: EntCode
    ebcCode: EntCode
    copNo: Annotated[str, Text(20, "the sender's own number")]
    sumNo: Annotated[str, Text(18, "summary number assigned by customs")] | None = None
    returnStatus: ReturnStatus
    returnTime: ReturnTime
    returnInfo: ReturnInfo


class MessageReturn(Node):
    guid: Guid
    returnStatus: ReturnStatus
    returnTime: ReturnTime
    returnInfo: ReturnInfo
    oriCopMsgId: Annotated[str, Text(36, "guid of the message this answers")]
    oriMessageType: Annotated[str, Text(16, "type of the message this answers")]


# --- CEB816 electronic tax bill ------------------------------------------------------


class TaxHeadRd(Node):
    guid: Guid
    returnTime: ReturnTime
    invtNo: Annotated[str, Text(18, "list number assigned by customs")]
    taxNo: Annotated[str, Text(24, "tax bill number")]
    customsTax: Money
    valueAddedTax: Money
    consumptionTax: Money
    status: Annotated[str, Choice("1", "2", "3", doc="1 issued, 2 summarised, 3 void")]
    assureCode: EntCode
    ebcCode: EntCode
    logisticsCode: EntCode
    agentCode: EntCode
    customsCode: CustomsCode
    orderNo: OrderNo
    logisticsNo: Annotated[str, Text(60, "waybill number")]
    note: Note | None = None


class TaxListRd(Node):
    gnum: Gnum
    gcode: Annotated[str, Code(10, "10-digit HS code", exact=True, digits=True)]
    taxPrice: Money
    customsTax: Money
    valueAddedTax: Money
    consumptionTax: Money


class Tax(Node):
    taxHeadRd: TaxHeadRd
    taxListRd: list[TaxListRd] = Field(min_length=1)  # 1..n lines


# --- messages --------------------------------------------------------------------------


class CebMessage(BaseModel):
    """A whole CEB message: the envelope attributes, one business node, transfer data, and
    the optional signature and extension kept verbatim (as serialised XML)."""

    model_config = ConfigDict(extra="forbid")

    #: e.g. "CEB311"
    MESSAGE_TYPE: ClassVar[str]
    #: attribute holding the business node, e.g. "order"
    BUSINESS: ClassVar[str]
    #: whether customs sends this (receipts: default namespace, no BaseTransfer)
    IS_RECEIPT: ClassVar[bool] = False

    guid: Guid
    version: Annotated[str, Text(10, "message version, 1.0 (v1.0 also read)")] = "1.0"

    @property
    def business(self) -> Node:
        node: Node = getattr(self, self.BUSINESS)
        return node


class DeclarationMessage(CebMessage):
    """A message an enterprise sends: has BaseTransfer, may carry a Signature."""

    baseTransfer: BaseTransfer
    baseSubscribe: BaseSubscribe | None = None
    extendMessage: str | None = None
    signature: str | None = None


class CEB311Message(DeclarationMessage):
    MESSAGE_TYPE = "CEB311"
    BUSINESS = "order"
    order: Order


class CEB411Message(DeclarationMessage):
    MESSAGE_TYPE = "CEB411"
    BUSINESS = "payment"
    payment: Payment


class CEB511Message(DeclarationMessage):
    MESSAGE_TYPE = "CEB511"
    BUSINESS = "logistics"
    logistics: Logistics


class CEB621Message(DeclarationMessage):
    MESSAGE_TYPE = "CEB621"
    BUSINESS = "inventory"
    inventory: Inventory


class CEB623Message(DeclarationMessage):
    MESSAGE_TYPE = "CEB623"
    BUSINESS = "invtCancel"
    invtCancel: InvtCancel


class CEB625Message(DeclarationMessage):
    MESSAGE_TYPE = "CEB625"
    BUSINESS = "invtRefund"
    invtRefund: InvtRefund


class CEB711Message(DeclarationMessage):
    MESSAGE_TYPE = "CEB711"
    BUSINESS = "bondedEntry"
    bondedEntry: BondedEntry


class CEB303Message(DeclarationMessage):
    MESSAGE_TYPE = "CEB303"
    BUSINESS = "order"
    order: ExportOrder


class CEB603Message(DeclarationMessage):
    MESSAGE_TYPE = "CEB603"
    BUSINESS = "inventory"
    inventory: ExportInventory


class CEB505Message(DeclarationMessage):
    MESSAGE_TYPE = "CEB505"
    BUSINESS = "logistics"
    logistics: ExportLogistics


class CEB507Message(DeclarationMessage):
    MESSAGE_TYPE = "CEB507"
    BUSINESS = "arrival"
    arrival: Arrival


class CEB509Message(DeclarationMessage):
    MESSAGE_TYPE = "CEB509"
    BUSINESS = "departure"
    departure: Departure


class CEB701Message(DeclarationMessage):
    MESSAGE_TYPE = "CEB701"
    BUSINESS = "summaryApply"
    summaryApply: SummaryApply


class ReceiptMessage(CebMessage):
    IS_RECEIPT = True


class CEB312Message(ReceiptMessage):
    MESSAGE_TYPE = "CEB312"
    BUSINESS = "orderReturn"
    orderReturn: OrderReturn


class CEB412Message(ReceiptMessage):
    MESSAGE_TYPE = "CEB412"
    BUSINESS = "paymentReturn"
    paymentReturn: PaymentReturn


class CEB512Message(ReceiptMessage):
    MESSAGE_TYPE = "CEB512"
    BUSINESS = "logisticsReturn"
    logisticsReturn: LogisticsReturn


class CEB622Message(ReceiptMessage):
    MESSAGE_TYPE = "CEB622"
    BUSINESS = "inventoryReturn"
    inventoryReturn: InventoryReturn


class CEB624Message(ReceiptMessage):
    MESSAGE_TYPE = "CEB624"
    BUSINESS = "invtCancelReturn"
    invtCancelReturn: InvtCancelReturn


class CEB626Message(ReceiptMessage):
    MESSAGE_TYPE = "CEB626"
    BUSINESS = "invtRefundReturn"
    invtRefundReturn: InvtRefundReturn


class CEB816Message(ReceiptMessage):
    MESSAGE_TYPE = "CEB816"
    BUSINESS = "tax"
    tax: Tax


class CEB712Message(ReceiptMessage):
    MESSAGE_TYPE = "CEB712"
    BUSINESS = "bondedEntryReturn"
    bondedEntryReturn: BondedEntryReturn


class CEB304Message(ReceiptMessage):
    MESSAGE_TYPE = "CEB304"
    BUSINESS = "orderReturn"
    orderReturn: OrderReturn


class CEB604Message(ReceiptMessage):
    MESSAGE_TYPE = "CEB604"
    BUSINESS = "inventoryReturn"
    inventoryReturn: InventoryReturn


class CEB506Message(ReceiptMessage):
    MESSAGE_TYPE = "CEB506"
    BUSINESS = "logisticsReturn"
    logisticsReturn: LogisticsReturn


class CEB508Message(ReceiptMessage):
    MESSAGE_TYPE = "CEB508"
    BUSINESS = "arrivalReturn"
    arrivalReturn: ArrivalReturn


class CEB510Message(ReceiptMessage):
    MESSAGE_TYPE = "CEB510"
    BUSINESS = "departureReturn"
    departureReturn: DepartureReturn


class CEB702Message(ReceiptMessage):
    MESSAGE_TYPE = "CEB702"
    BUSINESS = "summaryApplyReturn"
    summaryApplyReturn: SummaryApplyReturn


class CEB792Message(ReceiptMessage):
    MESSAGE_TYPE = "CEB792"
    BUSINESS = "summaryResult"
    summaryResult: SummaryResult


class CEB900Message(ReceiptMessage):
    MESSAGE_TYPE = "CEB900"
    BUSINESS = "messageReturn"
    messageReturn: MessageReturn


DECLARATION_TYPES: dict[str, type[DeclarationMessage]] = {
    m.MESSAGE_TYPE: m
    for m in (
        CEB311Message,
        CEB411Message,
        CEB511Message,
        CEB621Message,
        CEB623Message,
        CEB625Message,
        CEB711Message,
        CEB303Message,
        CEB603Message,
        CEB701Message,
        CEB505Message,
        CEB507Message,
        CEB509Message,
    )
}
RECEIPT_TYPES: dict[str, type[ReceiptMessage]] = {
    m.MESSAGE_TYPE: m
    for m in (
        CEB312Message,
        CEB412Message,
        CEB512Message,
        CEB622Message,
        CEB624Message,
        CEB626Message,
        CEB816Message,
        CEB712Message,
        CEB304Message,
        CEB604Message,
        CEB702Message,
        CEB792Message,
        CEB506Message,
        CEB508Message,
        CEB510Message,
        CEB900Message,
    )
}
MESSAGE_TYPES: dict[str, type[CebMessage]] = {**DECLARATION_TYPES, **RECEIPT_TYPES}
#: The receipt that answers each declaration message.
RECEIPT_FOR: dict[str, str] = {
    "CEB311": "CEB312",
    "CEB411": "CEB412",
    "CEB511": "CEB512",
    "CEB621": "CEB622",
    "CEB623": "CEB624",
    "CEB625": "CEB626",
    "CEB711": "CEB712",
    "CEB303": "CEB304",
    "CEB603": "CEB604",
    "CEB701": "CEB702",
    "CEB505": "CEB506",
    "CEB507": "CEB508",
    "CEB509": "CEB510",
}
