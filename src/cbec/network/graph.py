"""The identity and transaction graph: what each order and each list adds, kept in the store.

An order adds, as it arrives (:class:`DocumentObserver`, an intake listener in intake's
transaction), nodes for its buyer (one node per resident ID number), its consignee address
(normalised: spelling and format variants are one node) and phones, its platform and
e-commerce enterprise, and edges between them; a payment adds its payer and payment
company, a waybill its consignee phone and logistics company; a decided list (its
:class:`~cbec.risk.features.Facts`, which carry the order, payment and waybill) then adds
the payer when it is not the buyer, the payment and logistics companies and the goods
(6-digit HS code) (:class:`Observer`, which risk control calls in the decision's
transaction). Every edge has when it was first and last seen and a weight (orders or lists;
units for goods). :func:`order_contributions` and :func:`contributions` are that, as pure
functions; :class:`GraphBuffer` merges what many add; :func:`write` upserts a buffer into
``network_nodes`` and ``network_edges``; :func:`rebuild` builds the same graph from the
store in one batch.

Node keys are pseudonyms (the risk aggregates' keyed digests) with a kind prefix, so the
graph names ``p:<digest>`` where the risk database names the same buyer by ``<digest>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from cbec.intake.pipeline import Accepted
from cbec.messages.fields import parse_app_time
from cbec.messages.models import CEB311Message, CEB411Message, CEB511Message
from cbec.network import address as addresses
from cbec.privacy import blind_id, mask_id, mask_phone
from cbec.risk import repository as risk_repository
from cbec.risk.features import (
    ADDRESS_KIND,
    Facts,
    cents,
    facts_of,
    on_pseudonym_key_change,
    pseudonym,
)
from cbec.risk.history import PAGE, messages_for
from cbec.store import bulk
from cbec.store.models import InboundMessage, NetworkEdge, NetworkNode

PERSON, ADDRESS, PHONE = "person", "address", "phone"
PLATFORM, ECOMMERCE = "platform", "ecommerce"
PAYMENT, LOGISTICS, GOODS = "payment", "logistics", "goods"
#: The node kinds that communities are made of (enterprises link everybody).
PERSONAL = frozenset({PERSON, ADDRESS, PHONE})
#: Edge kinds.
SHIPS_TO, SHIP_PHONE, OWN_PHONE, PAID_FOR = "ships_to", "ship_phone", "own_phone", "paid_for"
BUYS_ON, PAYS_VIA, SHIPS_VIA, BUYS_GOODS = "buys_on", "pays_via", "ships_via", "buys_goods"
SELLS_ON, PAYS_WITH, CARRIED_BY = "sells_on", "pays_with", "carried_by"
#: The edge kinds between personal nodes.
PERSONAL_EDGES = frozenset({SHIPS_TO, SHIP_PHONE, OWN_PHONE, PAID_FOR})
#: Rows per statement when writing.
WRITE_ROWS = 500
#: appType of a deletion (a document withdrawn adds nothing).
DELETE = "3"
#: The documents the graph takes as they arrive, by message type.
_ARRIVING: dict[str, type[CEB311Message | CEB411Message | CEB511Message]] = {
    "CEB311": CEB311Message,
    "CEB411": CEB411Message,
    "CEB511": CEB511Message,
}


@lru_cache(maxsize=1 << 18)
def person_key(id_number: str) -> str:
    """The node of a resident ID number (the risk aggregates' pseudonym, prefixed)."""
    return "p:" + pseudonym("identity", id_number)


@lru_cache(maxsize=1 << 18)
def phone_key(phone: str) -> str:
    return "t:" + pseudonym("phone", phone)


def address_key(normal: addresses.NormalAddress) -> str:
    """The node of an address: the risk features' pseudonym of it, prefixed."""
    return "a:" + pseudonym(ADDRESS_KIND, normal.key)


def enterprise_key(kind: str, code: str) -> str:
    return f"{kind[:3]}:{code}"


@lru_cache(maxsize=1 << 16)
def _normal(address: str, district: str) -> tuple[addresses.NormalAddress, str, str]:
    """The normal form of an address, its node key and its masked label (cached: buyers
    come back)."""
    normal = addresses.normalise(address, district or None)
    return normal, address_key(normal), addresses.masked(address, normal.district or None)


def _drop_caches() -> None:
    person_key.cache_clear()
    phone_key.cache_clear()
    _normal.cache_clear()


on_pseudonym_key_change(_drop_caches)


@dataclass(slots=True)
class Node:
    key: str
    kind: str
    label: str
    subject: str
    province: str
    area: str
    birth_year: int | None
    first_seen: datetime
    last_seen: datetime
    lists: int = 0
    cents: int = 0

    def merge(self, other: Node) -> None:
        self.first_seen = min(self.first_seen, other.first_seen)
        self.last_seen = max(self.last_seen, other.last_seen)
        self.lists += other.lists
        self.cents += other.cents


@dataclass(slots=True)
class Edge:
    a: str
    b: str
    kind: str
    first_seen: datetime
    last_seen: datetime
    weight: int = 1

    def merge(self, other: Edge) -> None:
        self.first_seen = min(self.first_seen, other.first_seen)
        self.last_seen = max(self.last_seen, other.last_seen)
        self.weight += other.weight


def _person(id_number: str, at: datetime, lists: int, value: int) -> Node:
    year = int(id_number[6:10]) if len(id_number) == 18 and id_number[6:10].isdigit() else None
    return Node(
        person_key(id_number),
        PERSON,
        mask_id(id_number),
        blind_id(id_number),
        id_number[:2] if id_number[:2].isdigit() else "",
        id_number[:6] if id_number[:6].isdigit() else "",
        year,
        at,
        at,
        lists,
        value,
    )


def _phone(phone: str, at: datetime, lists: int) -> Node:
    return Node(phone_key(phone), PHONE, mask_phone(phone), "", "", "", None, at, at, lists)


def _enterprise(kind: str, code: str, at: datetime) -> Node:
    return Node(enterprise_key(kind, code), kind, code, code, "", "", None, at, at, 1)


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What the graph takes from an order (CEB311) as it arrives."""

    buyer_id: str
    buyer_phone: str
    consignee_phone: str
    consignee_address: str
    district: str
    ebp_code: str
    ebc_code: str
    at: datetime


def order_facts(message: CEB311Message) -> OrderFacts:
    head = message.order.orderHead
    return OrderFacts(
        buyer_id=head.buyerIdNumber,
        buyer_phone=head.buyerTelephone,
        consignee_phone=head.consigneeTelephone,
        consignee_address=head.consigneeAddress,
        district=head.consigneeDistrict or "",
        ebp_code=head.ebpCode,
        ebc_code=head.ebcCode,
        at=parse_app_time(head.appTime),
    )


def order_contributions(order: OrderFacts) -> tuple[list[Node], list[Edge]]:
    """The nodes and edges an order adds: its buyer, consignee address and phones, its
    platform and e-commerce enterprise (an order counts on its address and phones)."""
    at = order.at
    buyer = _person(order.buyer_id, at, 0, 0)
    normal, key, label = _normal(order.consignee_address, order.district)
    address = Node(key, ADDRESS, label, "", normal.district[:2], normal.district, None, at, at, 1)
    ship_phone = _phone(order.consignee_phone, at, 1)
    platform = _enterprise(PLATFORM, order.ebp_code, at)
    seller = _enterprise(ECOMMERCE, order.ebc_code, at)
    nodes = [buyer, address, ship_phone, platform, seller]
    edges = [
        Edge(buyer.key, address.key, SHIPS_TO, at, at),
        Edge(buyer.key, ship_phone.key, SHIP_PHONE, at, at),
        Edge(buyer.key, platform.key, BUYS_ON, at, at),
        Edge(seller.key, platform.key, SELLS_ON, at, at),
    ]
    if order.buyer_phone:
        own = _phone(order.buyer_phone, at, 0)
        nodes.append(own)
        edges.append(Edge(buyer.key, own.key, OWN_PHONE, at, at))
    return nodes, edges


def payment_contributions(message: CEB411Message) -> tuple[list[Node], list[Edge]]:
    """What a payment adds as it arrives: its payer and the payment company they pay
    with (who the payer paid for comes with the list, which ties the payment to its
    order)."""
    head = message.payment.paymentHead
    at = parse_app_time(head.appTime)
    payer = _person(head.payerIdNumber, at, 0, 0)
    company = _enterprise(PAYMENT, head.payCode, at)
    return [payer, company], [Edge(payer.key, company.key, PAYS_WITH, at, at)]


def waybill_contributions(message: CEB511Message) -> tuple[list[Node], list[Edge]]:
    """What a waybill adds as it arrives: its consignee phone and the logistics company
    carrying to it. (Its address is the order's, which names the district; a waybill does
    not, so its address would be a node apart.)"""
    head = message.logistics.logisticsHead
    at = parse_app_time(head.appTime)
    phone = _phone(head.consigneeTelephone, at, 0)
    company = _enterprise(LOGISTICS, head.logisticsCode, at)
    return [phone, company], [Edge(phone.key, company.key, CARRIED_BY, at, at)]


def contributions(facts: Facts) -> tuple[list[Node], list[Edge]]:
    """The nodes and edges a decided list adds to what its order added: the buyer's list
    and its value, the payer (when not the buyer), the payment and logistics companies
    and the goods.

    (``tests/network/test_network.py`` checks that what orders and lists add as they
    arrive and are decided is what a rebuild from the store gives.)
    """
    at = facts.at
    buyer = _person(facts.buyer_id, at, 1, cents(facts.taxable_value))
    platform = _enterprise(PLATFORM, facts.ebp_code, at)
    nodes = [buyer, platform]
    edges: list[Edge] = []
    if facts.payer_id and facts.payer_id != facts.buyer_id:
        payer = _person(facts.payer_id, at, 0, 0)
        nodes.append(payer)
        edges.append(Edge(payer.key, buyer.key, PAID_FOR, at, at))
    if facts.pay_code:
        payment = _enterprise(PAYMENT, facts.pay_code, at)
        nodes.append(payment)
        edges.append(Edge(platform.key, payment.key, PAYS_VIA, at, at))
    logistics = _enterprise(LOGISTICS, facts.logistics_code, at)
    nodes.append(logistics)
    edges.append(Edge(platform.key, logistics.key, SHIPS_VIA, at, at))
    for line in facts.lines:
        goods = Node(f"g:{line.hs_code[:6]}", GOODS, line.hs_code[:6], "", "", "", None, at, at)
        nodes.append(goods)
        edges.append(Edge(buyer.key, goods.key, BUYS_GOODS, at, at, max(1, round(line.qty))))
    return nodes, edges


@dataclass(slots=True)
class GraphBuffer:
    """What many lists add, merged by key."""

    nodes: dict[str, Node] = field(default_factory=dict)
    edges: dict[tuple[str, str, str], Edge] = field(default_factory=dict)

    def add(self, facts: Facts) -> None:
        """What a decided list adds."""
        self._merge(*contributions(facts))

    def add_order(self, order: OrderFacts) -> None:
        """What an arriving order adds."""
        self._merge(*order_contributions(order))

    def add_document(self, message: CEB311Message | CEB411Message | CEB511Message) -> None:
        """What an arriving order, payment or waybill adds."""
        if isinstance(message, CEB311Message):
            self.add_order(order_facts(message))
        elif isinstance(message, CEB411Message):
            self._merge(*payment_contributions(message))
        else:
            self._merge(*waybill_contributions(message))

    def _merge(self, nodes: list[Node], edges: list[Edge]) -> None:
        for node in nodes:
            have = self.nodes.get(node.key)
            if have is None:
                self.nodes[node.key] = node
            else:
                have.merge(node)
        for edge in edges:
            key = (edge.a, edge.b, edge.kind)
            seen = self.edges.get(key)
            if seen is None:
                self.edges[key] = edge
            else:
                seen.merge(edge)

    def __len__(self) -> int:
        return len(self.nodes) + len(self.edges)

    def clear(self) -> None:
        self.nodes.clear()
        self.edges.clear()


def _later(column: Any, new: Any) -> Any:
    return case((new > column, new), else_=column)


def _earlier(column: Any, new: Any) -> Any:
    return case((new < column, new), else_=column)


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), WRITE_ROWS):
        yield rows[start : start + WRITE_ROWS]


def write(session: Session, buffer: GraphBuffer) -> None:
    """Add ``buffer`` to the stored graph (merging with what is there) and clear it."""
    insert = bulk.insert_for(session.get_bind().dialect.name)
    node_rows = [
        {
            "key": n.key,
            "kind": n.kind,
            "label": n.label,
            "subject": n.subject,
            "province": n.province,
            "area": n.area,
            "birth_year": n.birth_year,
            "first_seen": n.first_seen,
            "last_seen": n.last_seen,
            "lists": n.lists,
            "cents": n.cents,
        }
        for n in sorted(buffer.nodes.values(), key=lambda n: n.key)  # one lock order
    ]
    for rows in _chunks(node_rows):
        stmt = insert(NetworkNode).values(rows)
        ex = stmt.excluded
        table = NetworkNode.__table__.c
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["key"],
                set_={
                    "first_seen": _earlier(table.first_seen, ex.first_seen),
                    "last_seen": _later(table.last_seen, ex.last_seen),
                    "lists": table.lists + ex.lists,
                    "cents": table.cents + ex.cents,
                },
            )
        )
    edge_rows = [
        {
            "a": e.a,
            "b": e.b,
            "kind": e.kind,
            "first_seen": e.first_seen,
            "last_seen": e.last_seen,
            "weight": e.weight,
        }
        for e in sorted(buffer.edges.values(), key=lambda e: (e.a, e.b, e.kind))
    ]
    for rows in _chunks(edge_rows):
        stmt = insert(NetworkEdge).values(rows)
        ex = stmt.excluded
        table = NetworkEdge.__table__.c
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["a", "b", "kind"],
                set_={
                    "first_seen": _earlier(table.first_seen, ex.first_seen),
                    "last_seen": _later(table.last_seen, ex.last_seen),
                    "weight": table.weight + ex.weight,
                },
            )
        )
    buffer.clear()


class DocumentObserver:
    """An intake listener: adds every order, payment and waybill intake accepts (new or
    modified) to the graph, in intake's transaction, whether or not a list ever follows."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def accepted(self, session: Session, items: Sequence[Accepted]) -> None:
        buffer = GraphBuffer()
        for item in items:
            kind = _ARRIVING.get(item.message_type)
            if kind is None or item.app_type == DELETE:
                continue
            message = item.message
            if not isinstance(message, kind):
                body = session.scalar(
                    select(InboundMessage.body).where(InboundMessage.id == item.message_id)
                )
                if body is None:
                    continue
                message = kind.model_validate_json(body)
            buffer.add_document(message)
        if len(buffer):
            write(session, buffer)


class Observer:
    """Adds each list risk control assesses to the graph, in the decision's transaction
    (risk control calls :meth:`observe` per list and :meth:`flush` with its own flush)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.pending: list[Facts] = []

    def observe(self, facts: Facts) -> None:
        self.pending.append(facts)

    def forget(self, declaration_id: int) -> None:
        """The list faulted before it was decided: it is not in the graph (yet)."""
        self.pending = [f for f in self.pending if f.declaration_id != declaration_id]

    def discard(self) -> None:
        """The transaction rolled back to before these lists: none of them is in the graph."""
        self.pending = []

    def flush(self) -> None:
        if self.pending:
            write(self.session, build(self.pending))
            self.pending = []


def stored_facts(session: Session) -> Iterator[Facts]:
    """The facts of every decided list with all four documents, in decision order."""
    offset = 0
    while True:
        page = risk_repository.assessed_declarations(session, None, offset, PAGE)
        if not page:
            return
        offset += len(page)
        found = messages_for(session, page)
        for d in page:
            messages = found.get(d.id)
            if messages is not None:
                yield facts_of(d.id, *messages, tax_total=d.tax_total)


def stored_documents(
    session: Session,
) -> Iterator[CEB311Message | CEB411Message | CEB511Message]:
    """Every order, payment and waybill intake accepted (each version), in arrival order."""
    last = 0
    while True:
        rows = session.execute(
            select(InboundMessage.id, InboundMessage.message_type, InboundMessage.body)
            .where(
                InboundMessage.message_type.in_(list(_ARRIVING)),
                InboundMessage.app_type != DELETE,
                InboundMessage.id > last,
            )
            .order_by(InboundMessage.id)
            .limit(PAGE)
        ).all()
        if not rows:
            return
        last = rows[-1][0]
        for _, message_type, body in rows:
            yield _ARRIVING[message_type].model_validate_json(body)


def build(
    facts: Iterable[Facts],
    documents: Iterable[CEB311Message | CEB411Message | CEB511Message] = (),
) -> GraphBuffer:
    """The graph of ``documents`` (orders, payments, waybills) and ``facts`` (decided
    lists), in memory."""
    buffer = GraphBuffer()
    for document in documents:
        buffer.add_document(document)
    for item in facts:
        buffer.add(item)
    return buffer


def rebuild(session: Session) -> tuple[int, int]:
    """Replace the stored graph by one built from every accepted order, payment and
    waybill and every decided list; (nodes, edges)."""
    buffer = build(stored_facts(session), stored_documents(session))
    counts = (len(buffer.nodes), len(buffer.edges))
    session.execute(delete(NetworkEdge))
    session.execute(delete(NetworkNode))
    write(session, buffer)
    return counts


def size(session: Session) -> tuple[int, int]:
    """(nodes, edges) stored."""
    nodes = session.scalar(select(func.count()).select_from(NetworkNode)) or 0
    edges = session.scalar(select(func.count()).select_from(NetworkEdge)) or 0
    return int(nodes), int(edges)
