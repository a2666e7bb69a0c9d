"""``cbec bench network``: build the identity graph of N lists and find the networks.

The lists are made in memory (no XML, no store): honest buyers (each with an address and a
phone, some buying several times, some shipping to a relative's phone), plus smuggling
rings of bought identities from every province shipping to a few drop addresses (written
in varying formats) and phones, some paid by the ring's financiers. Each list becomes
:class:`~cbec.risk.features.Facts` and goes through the same code as live traffic
(:class:`~cbec.network.graph.GraphBuffer`, address normalisation included); then the
detectors and the discovery run over the frames. Every stage is timed, and the rings found
are compared with the ones planted.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from cbec.network import communities, detectors, frames
from cbec.network.graph import GraphBuffer, OrderFacts, person_key
from cbec.risk.features import Facts, Line, pseudonym
from cbec.sim.fraud import address_variant
from cbec.sim.people import make_id_number
from cbec.sim.regions import PROVINCES

_START = datetime(2026, 11, 1, tzinfo=UTC)
_PLATFORMS = [f"44019600{i:02d}" for i in range(40)]
_PAYMENTS = [f"31229600{i:02d}" for i in range(12)]
_LOGISTICS = [f"44059600{i:02d}" for i in range(20)]
_HS = ["3304990099", "1901101000", "6403990000", "8517130000", "3401110000", "9503008900"]


@dataclass(frozen=True, slots=True)
class NetworkBench:
    lists: int
    rings: int
    ring_members: int
    make_seconds: float
    build_seconds: float
    frames_seconds: float
    detect_seconds: float
    discover_seconds: float
    nodes: int
    edges: int
    flags: int
    networks: int
    recall: float
    precision: float

    @property
    def total_seconds(self) -> float:
        """Graph and networks: building, frames, detectors and discovery."""
        return (
            self.build_seconds + self.frames_seconds + self.detect_seconds + (self.discover_seconds)
        )


class _Maker:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.serial = 0
        self.districts = [d for p in PROVINCES for d in p.districts]

    def id_number(self) -> str:
        self.serial += 1
        area = self.rng.choice(self.districts).code
        birth = _START.date() - timedelta(days=self.rng.randint(20 * 365, 55 * 365))
        return make_id_number(area, birth, self.serial % 999)[:-1] + str(self.serial % 10)

    def phone(self) -> str:
        return f"1{self.rng.randint(3, 9)}{self.rng.randrange(10**9):09d}"

    def facts(
        self,
        n: int,
        buyer: str,
        payer: str,
        phone: str,
        buyer_phone: str,
        address: str,
        district: str,
    ) -> Facts:
        rng = self.rng
        at = _START + timedelta(seconds=rng.randrange(7 * 86400))
        hs = rng.choice(_HS)
        return Facts(
            declaration_id=n,
            at=at,
            buyer_id=buyer,
            payer_id=payer,
            consignee_phone=phone,
            consignee_address=address,
            buyer=pseudonym("identity", buyer),
            payer=pseudonym("identity", payer),
            address="",
            phone="",
            ebp_code=rng.choice(_PLATFORMS),
            ebc_code="4401960099",
            agent_code="4401960098",
            logistics_code=rng.choice(_LOGISTICS),
            logistics_no=f"LN{n}",
            pay_code=rng.choice(_PAYMENTS),
            trade_mode="9610",
            customs_code="5141",
            port_code="5141",
            country="142",
            lines=(Line(f"{hs}|035", hs, "502", 100.0, float(rng.randint(1, 3))),),
            taxable_value=Decimal(rng.randint(50, 3000)),
            gross_weight=Decimal(1),
            net_weight=Decimal(1),
            waybill_weight=Decimal(1),
            order_time=at,
            pay_time=at,
            waybill_time=at,
            buyer_phone=buyer_phone,
            district=district,
        )


def run(lists: int, seed: int = 1, ring_share: float = 0.01) -> NetworkBench:
    """Make ``lists`` lists (``ring_share`` of them by rings of ~200 lists), build the graph,
    run the detectors and the discovery; time each stage."""
    m = _Maker(seed)
    rng = m.rng
    started = time.perf_counter()
    made: list[Facts] = []
    planted: set[str] = set()
    ring_lists = int(lists * ring_share)
    rings = max(1, ring_lists // 200) if ring_lists else 0
    for r in range(rings):
        financiers = [m.id_number() for _ in range(3)]
        drops = [(rng.choice(m.districts), f"仓库路{r}号{k}栋") for k in range(4)]
        phones = [m.phone() for _ in range(3)]
        members = [m.id_number() for _ in range(100)]
        planted.update(members)
        for k in range(ring_lists // rings):
            member = members[k % len(members)]
            district, street = drops[k % len(drops)]
            payer = rng.choice(financiers) if rng.random() < 0.3 else member
            if payer != member:
                planted.add(payer)
            made.append(
                m.facts(
                    len(made),
                    member,
                    payer,
                    rng.choice(phones),
                    m.phone(),
                    address_variant(district, street, rng.randrange(5)),
                    district.code,
                )
            )
    people: list[tuple[str, str, str, str]] = []
    while len(made) < lists:
        if people and rng.random() < 0.35:  # a returning buyer
            buyer, phone, home, area = rng.choice(people)
        else:
            d = rng.choice(m.districts)
            buyer, phone = m.id_number(), m.phone()
            home, area = f"{d.label}幸福路{rng.randint(1, 999)}号{len(people)}室", d.code
            people.append((buyer, phone, home, area))
        ship_phone = phone if rng.random() < 0.85 else m.phone()
        made.append(m.facts(len(made), buyer, buyer, ship_phone, phone, home, area))
    make_seconds = time.perf_counter() - started

    started = time.perf_counter()
    buffer = GraphBuffer()
    for facts in made:  # the order as it arrives, then its decided list
        buffer.add_order(
            OrderFacts(
                facts.buyer_id,
                facts.buyer_phone,
                facts.consignee_phone,
                facts.consignee_address,
                facts.district,
                facts.ebp_code,
                facts.ebc_code,
                facts.at,
            )
        )
        buffer.add(facts)
    build_seconds = time.perf_counter() - started
    del made

    started = time.perf_counter()
    graph = frames.from_buffer(buffer)
    del buffer
    frames_seconds = time.perf_counter() - started

    started = time.perf_counter()
    flags = detectors.detect(graph)
    detect_seconds = time.perf_counter() - started

    started = time.perf_counter()
    found = communities.discover(graph, detectors.strongest(flags))
    discover_seconds = time.perf_counter() - started

    threshold = communities.Settings().case_threshold
    planted_keys = {person_key(i) for i in planted}
    in_networks = {k for n in found if n.score >= threshold for k in n.members if k[:2] == "p:"}
    hits = len(in_networks & planted_keys)
    return NetworkBench(
        lists=lists,
        rings=rings,
        ring_members=len(planted_keys),
        make_seconds=make_seconds,
        build_seconds=build_seconds,
        frames_seconds=frames_seconds,
        detect_seconds=detect_seconds,
        discover_seconds=discover_seconds,
        nodes=graph.nodes.height,
        edges=graph.edges.height,
        flags=flags.height,
        networks=sum(1 for n in found if n.score >= threshold),
        recall=hits / len(planted_keys) if planted_keys else 0.0,
        precision=hits / len(in_networks) if in_networks else 0.0,
    )
