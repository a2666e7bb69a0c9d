"""The identity and transaction graph, and the smuggling networks found in it.

Nodes are people (by resident ID number: a buyer and a payer with the same number are one
node), consignee addresses (normalised, so that spelling and format variants meet), phones,
and enterprises (platforms, e-commerce enterprises, payment and logistics companies). An
edge joins two nodes seen together on a list, with when it was first and last seen and how
often (for goods edges: how many units). Both are maintained as lists are decided and can
be rebuilt from the store (``cbec network build``).

Node keys are pseudonyms (keyed digests, as the risk aggregates use) prefixed by kind;
``label`` is a masked form for screens. ``subject`` keeps the blind index of a person's
resident ID number (:func:`cbec.privacy.blind_id`), because flags and case clues name the
identity they are about (by that index, never by the number).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cbec.store.models.base import Base, BigIntPK, UTCDateTime, utcnow


class NetworkNode(Base):
    __tablename__ = "network_nodes"
    __table_args__ = (Index("ix_network_nodes_kind", "kind"),)

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: person, address, phone, platform, ecommerce (enterprise), payment, logistics, goods
    kind: Mapped[str] = mapped_column(String(12))
    label: Mapped[str] = mapped_column(String(120), default="")
    #: the blind index of a person's ID number; the customs code of an enterprise; else ""
    subject: Mapped[str] = mapped_column(String(60), default="")
    #: 2-digit province code (a person's ID card, an address's district), or ""
    province: Mapped[str] = mapped_column(String(2), default="")
    #: 6-digit area: a person's ID card area, an address's district
    area: Mapped[str] = mapped_column(String(6), default="")
    birth_year: Mapped[int | None] = mapped_column(Integer, default=None)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    #: lists naming the node (as buyer, for a person) and their taxable value in cents
    lists: Mapped[int] = mapped_column(BigInteger, default=0)
    cents: Mapped[int] = mapped_column(BigInteger, default=0)


class NetworkEdge(Base):
    __tablename__ = "network_edges"
    __table_args__ = (Index("ix_network_edges_b", "b"),)

    a: Mapped[str] = mapped_column(String(40), primary_key=True)
    b: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: ships_to, ship_phone, own_phone, paid_for, buys_on, sells_on, pays_with, pays_via,
    #: ships_via, carried_by, buys_goods
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    #: lists (units for buys_goods)
    weight: Mapped[int] = mapped_column(BigInteger, default=0)


class NetworkRun(Base):
    """One run of the detectors and the network discovery."""

    __tablename__ = "network_runs"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    nodes: Mapped[int] = mapped_column(BigInteger, default=0)
    edges: Mapped[int] = mapped_column(BigInteger, default=0)
    flags: Mapped[int] = mapped_column(Integer, default=0)
    networks: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    #: JSON: the thresholds the run used
    settings: Mapped[str] = mapped_column(Text, default="{}")


class Network(Base):
    """A community of people, addresses, phones and payers found by one run."""

    __tablename__ = "network_networks"
    __table_args__ = (Index("ix_network_networks_run", "run_id", "score"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(BigInteger)
    #: the key of its best-connected node: the same network keeps it from run to run
    hub: Mapped[str] = mapped_column(String(40))
    score: Mapped[float] = mapped_column(Float)
    people: Mapped[int] = mapped_column(Integer)
    addresses: Mapped[int] = mapped_column(Integer)
    phones: Mapped[int] = mapped_column(Integer)
    provinces: Mapped[int] = mapped_column(Integer)
    #: JSON: the measures behind the score and each one's contribution
    measures: Mapped[str] = mapped_column(Text, default="{}")
    #: JSON: member node keys
    members: Mapped[str] = mapped_column(Text, default="[]")
    #: the case clue it became, if its score passed the threshold
    case_id: Mapped[int | None] = mapped_column(Integer, default=None)
