"""Network discovery: communities of identities, addresses, phones and payers.

The personal part of the graph (people, addresses, phones; payers are people) is cut into
connected components; a component with at least ``min_people`` people is a candidate
network, and Leiden community detection (``leidenalg`` over ``igraph``) finds its cells: a
component bigger than ``max_people`` is split into its communities, each its own network.
Each network is then measured and scored (:func:`score`), with every measure's contribution
shown: its size, how many people share each address or phone, its spread across provinces
(of the ID cards), its growth (new members per week, the "fission" signal), its quota use
and how strongly consumer-end monitoring flagged its members.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import igraph as ig
import leidenalg
import numpy as np
import polars as pl

from cbec.network.frames import Frames
from cbec.network.graph import (
    ADDRESS,
    OWN_PHONE,
    PERSON,
    PERSONAL,
    PERSONAL_EDGES,
    PHONE,
    SHIP_PHONE,
)


@dataclass(frozen=True, slots=True)
class Settings:
    #: people a component needs to be a candidate network
    min_people: int = 3
    #: a component with more people is split into its Leiden communities
    max_people: int = 1000
    #: score from which a network becomes a case clue
    case_threshold: float = 0.8
    #: Leiden's resolution (modularity) and seed
    resolution: float = 1.0
    seed: int = 7
    annual_limit_cny: float = 26000.0


#: Weights of the measures in the score (score = 1 - exp(-sum of contributions)). Size,
#: sharing, spread and growth count as far as the members act together, shipping to phones
#: not their own (``together``): the people of a campus dormitory or a parcel station share
#: an address too, each with their own phone. Members from afar count less: migrants, and
#: people of Chongqing born before 1997 (their ID cards carry Sichuan codes), live far from
#: the place on their ID card.
WEIGHTS: dict[str, float] = {
    "people": 0.3,  # per doubling beyond one person, times together
    "sharing": 1.2,  # share of members shipping to a phone that others use, none its owner
    "provinces": 0.12,  # per ID-card province beyond the first, times together
    "growth": 0.3,  # new members in the latest week per member before (capped at 2), x together
    "together": 1.0,  # share of the members' lists shipped to phones not their own
    "afar": 0.4,  # share of members whose ID card is from another province than its addresses
    "quota": 0.5,  # average share of the annual limit used by its members
    "flagged": 1.5,  # members' strongest flag score (0 if none), on average
}


@dataclass(slots=True)
class Found:
    """One network: its members (node keys) and what it measures."""

    hub: str
    members: list[str]
    people: int
    addresses: int
    phones: int
    provinces: int
    cells: int
    weekly: list[tuple[str, int]]
    measures: dict[str, float] = field(default_factory=dict)
    contributions: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    #: edges among its members (indexes into ``members``), for the picture
    links: list[tuple[int, int]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)


def score(measures: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The score of a network's measures and each measure's contribution.

    >>> s, parts = score({"people": 1, "sharing": 0, "provinces": 1, "growth": 0,
    ...                   "together": 0, "afar": 0, "quota": 0, "flagged": 0})
    >>> s, parts["people"]
    (0.0, 0.0)
    >>> ring = {"people": 8, "sharing": 1, "provinces": 6, "growth": 1, "together": 1,
    ...         "afar": 0.9, "quota": 0.1, "flagged": 0.5}
    >>> round(score(ring)[0], 3)
    0.994
    >>> station = {**ring, "sharing": 0, "provinces": 1, "together": 0.1, "afar": 0, "flagged": 0}
    >>> round(score(station)[0], 3)
    0.237
    """
    together = measures["together"]
    parts = {
        "people": WEIGHTS["people"] * math.log2(max(1.0, measures["people"])) * together,
        "sharing": WEIGHTS["sharing"] * measures["sharing"],
        "provinces": WEIGHTS["provinces"] * max(0.0, measures["provinces"] - 1) * together,
        "growth": WEIGHTS["growth"] * min(2.0, measures["growth"]) * together,
        "together": WEIGHTS["together"] * together,
        "afar": WEIGHTS["afar"] * measures["afar"],
        "quota": WEIGHTS["quota"] * measures["quota"],
        "flagged": WEIGHTS["flagged"] * measures["flagged"],
    }
    return 1.0 - math.exp(-sum(parts.values())), {k: round(v, 4) for k, v in parts.items()}


def _week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def discover(
    frames: Frames,
    flags: Mapping[str, float] | None = None,
    settings: Settings | None = None,
    *,
    components: pl.DataFrame | None = None,
) -> list[Found]:
    """The networks in ``frames``, best first; ``flags`` gives the strongest flag score of
    each person consumer-end monitoring flagged (by node key).

    ``components`` (``key``, ``component``) are the candidate components found by the batch
    job (:func:`cbec.network.components.network_components`, on the embedded engine or on
    Spark): only their nodes are loaded into igraph for the Leiden refinement. Without it,
    igraph finds the components of the whole personal graph in memory."""
    flagged = flags or {}
    s = settings or Settings()
    nodes = frames.nodes.filter(pl.col("kind").is_in(list(PERSONAL)))
    if components is not None:
        nodes = nodes.join(
            components.select("key", "component"), on="key", how="inner", maintain_order="left"
        )
    if nodes.is_empty():
        return []
    edges = frames.edges.filter(pl.col("kind").is_in(list(PERSONAL_EDGES)))
    index = nodes.with_row_index("i").select("key", "i")
    pairs = (
        edges.join(index, left_on="a", right_on="key")
        .rename({"i": "ia"})
        .join(index, left_on="b", right_on="key")
        .rename({"i": "ib"})
        .group_by("ia", "ib")
        .agg(pl.col("weight").sum())
    )
    graph = ig.Graph(
        n=nodes.height,
        edges=np.column_stack([pairs["ia"].to_numpy(), pairs["ib"].to_numpy()]).tolist(),
        directed=False,
    )
    graph.es["weight"] = pairs["weight"].to_list()
    kinds = nodes["kind"].to_list()
    is_person = np.array([k == PERSON for k in kinds])
    if components is None:
        membership = np.array(graph.connected_components().membership)
    else:
        membership = (nodes["component"].rank("dense") - 1).cast(pl.Int64).to_numpy()
    people_per = np.bincount(membership, weights=is_person.astype(float))
    candidates = np.nonzero(people_per >= s.min_people)[0]
    if candidates.size == 0:
        return []
    columns = _columns(frames, nodes)
    latest = frames.latest or max(columns.first_seen)
    order = np.argsort(membership, kind="stable")
    bounds = np.searchsorted(membership[order], candidates)
    ends = np.searchsorted(membership[order], candidates, side="right")
    found: list[Found] = []
    for start, end in zip(bounds, ends, strict=True):
        vertices = order[start:end].tolist()
        sub = graph.subgraph(vertices)
        parts = leidenalg.find_partition(
            sub,
            leidenalg.RBConfigurationVertexPartition,
            weights="weight",
            resolution_parameter=s.resolution,
            seed=s.seed,
        )
        groups: Sequence[list[int]] = [vertices]
        cells = len(parts)
        if int(is_person[vertices].sum()) > s.max_people:
            groups = [[vertices[i] for i in community] for community in parts]
            cells = 1
        for group in groups:
            if int(is_person[group].sum()) < s.min_people:
                continue
            found.append(_measure(graph, group, cells, columns, latest, flagged, s))
    found.sort(key=lambda f: (-f.score, f.hub))
    return found


@dataclass(frozen=True, slots=True)
class _Columns:
    """Per node (by its index in the graph)."""

    keys: list[str]
    kinds: list[str]
    provinces: list[str]
    first_seen: list[datetime]
    cents: np.ndarray
    #: a person's lists shipped to a phone not its own, and all its lists with a phone
    foreign: np.ndarray
    shipped: np.ndarray
    #: a phone's users who do not own it
    strangers: np.ndarray


def _columns(frames: Frames, nodes: pl.DataFrame) -> _Columns:
    own = frames.edges.filter(pl.col("kind") == OWN_PHONE).select("a", own="b")
    shipped = (
        frames.edges.filter(pl.col("kind") == SHIP_PHONE)
        .join(own, on="a", how="left")
        .with_columns(foreign=pl.col("b") != pl.col("own").fill_null(""))
    )
    per_person = shipped.group_by("a").agg(
        foreign=pl.col("weight").filter(pl.col("foreign")).sum(), shipped=pl.col("weight").sum()
    )
    per_phone = (
        shipped.filter(pl.col("foreign")).group_by("b").agg(strangers=pl.col("a").n_unique())
    )
    table = (
        nodes.select("key")
        .join(per_person, left_on="key", right_on="a", how="left")
        .join(per_phone, left_on="key", right_on="b", how="left")
        .fill_null(0)
    )
    return _Columns(
        keys=nodes["key"].to_list(),
        kinds=nodes["kind"].to_list(),
        provinces=nodes["province"].to_list(),
        first_seen=nodes["first_seen"].to_list(),
        cents=nodes["cents"].to_numpy(),
        foreign=table["foreign"].to_numpy(),
        shipped=table["shipped"].to_numpy(),
        strangers=table["strangers"].to_numpy(),
    )


def _measure(
    graph: ig.Graph,
    group: list[int],
    cells: int,
    c: _Columns,
    latest: datetime,
    flagged: Mapping[str, float],
    s: Settings,
) -> Found:
    keys, kinds, provinces, first_seen, cents = c.keys, c.kinds, c.provinces, c.first_seen, c.cents
    people = [v for v in group if kinds[v] == PERSON]
    drops = [v for v in group if kinds[v] in (ADDRESS, PHONE)]
    member_set = set(group)
    # the members who ship to a phone that others use too, none of them its owner
    shared_phones = {v for v in drops if kinds[v] == PHONE and c.strangers[v] > 1}
    sharing = sum(1 for v in people if any(u in shared_phones for u in graph.neighbors(v))) / len(
        people
    )
    spread = len({provinces[v] for v in people if provinces[v]})
    # acting together: lists shipped to others' phones; members far from its addresses
    shipped = float(c.shipped[people].sum())
    foreign = float(c.foreign[people].sum()) / shipped if shipped else 0.0
    homes = Counter(provinces[v] for v in drops if kinds[v] == ADDRESS and provinces[v])
    home = homes.most_common(1)[0][0] if homes else ""
    afar = sum(1 for v in people if home and provinces[v] != home) / len(people)
    together = foreign
    weekly = Counter(_week(first_seen[v]) for v in people)
    week_start = latest - timedelta(days=7)
    new = sum(1 for v in people if first_seen[v] > week_start)
    before = len(people) - new
    growth = new / before if before else (1.0 if len(people) >= s.min_people else 0.0)
    quota = float(cents[people].sum()) / (len(people) * s.annual_limit_cny * 100)
    flagged_share = sum(flagged.get(keys[v], 0.0) for v in people) / len(people)
    measures = {
        "people": float(len(people)),
        "sharing": sharing,
        "provinces": float(spread),
        "growth": growth,
        "together": together,
        "afar": afar,
        "quota": min(1.0, quota),
        "flagged": flagged_share,
    }
    total, contributions = score(measures)
    degree = graph.degree(group)
    hub = max(range(len(group)), key=lambda i: (degree[i], keys[group[i]]))
    position = {v: i for i, v in enumerate(group)}
    links = sorted(
        {
            (min(position[v], position[u]), max(position[v], position[u]))
            for v in group
            for u in graph.neighbors(v)
            if u in member_set
        }
    )
    return Found(
        hub=keys[group[hub]],
        members=[keys[v] for v in group],
        people=len(people),
        addresses=sum(1 for v in drops if kinds[v] == ADDRESS),
        phones=sum(1 for v in drops if kinds[v] == PHONE),
        provinces=spread,
        cells=cells,
        weekly=sorted(weekly.items()),
        measures={k: round(v, 4) for k, v in measures.items()},
        contributions=contributions,
        score=round(total, 4),
        links=links,
        kinds=[kinds[v] for v in group],
    )


_COLOURS = {PERSON: "#d9534f", ADDRESS: "#337ab7", PHONE: "#5cb85c"}


def picture(network: Found, labels: dict[str, str] | None = None, size: int = 480) -> str:
    """An SVG drawing of the network (Fruchterman-Reingold layout): people red, addresses
    blue, phones green; ``labels`` (masked) become tooltips."""
    n = len(network.members)
    g = ig.Graph(n=n, edges=network.links)
    layout = g.layout_fruchterman_reingold(niter=300, seed=None) if n > 1 else ig.Layout([[0, 0]])
    xs = [p[0] for p in layout.coords]
    ys = [p[1] for p in layout.coords]
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0
    pad = 16
    px = [pad + (x - min(xs)) / span_x * (size - 2 * pad) for x in xs]
    py = [pad + (y - min(ys)) / span_y * (size - 2 * pad) for y in ys]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'width="{size}" height="{size}" role="img">',
        f"<title>network of {network.people} people, {network.addresses} addresses, "
        f"{network.phones} phones</title>",
        '<g stroke="#999" stroke-width="1">',
    ]
    for a, b in network.links:
        parts.append(f'<line x1="{px[a]:.1f}" y1="{py[a]:.1f}" x2="{px[b]:.1f}" y2="{py[b]:.1f}"/>')
    parts.append("</g><g>")
    for i, kind in enumerate(network.kinds):
        tip = (labels or {}).get(network.members[i], kind)
        radius = 6 if kind == PERSON else 5
        parts.append(
            f'<circle cx="{px[i]:.1f}" cy="{py[i]:.1f}" r="{radius}" '
            f'fill="{_COLOURS.get(kind, "#777")}"><title>{_escape(tip)}</title></circle>'
        )
    parts.append("</g></svg>")
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
