"""The component step of network discovery as a batch job: connected components of the
personal graph (people, addresses, phones), defined once as ibis expressions and run on the
embedded engine or on Spark (:mod:`cbec.batch.engine`).

The algorithm is the alternating **large-star / small-star** of Kiveris et al.,
"Connected Components in MapReduce and Beyond" (SoCC 2014), the one GraphFrames'
``connectedComponents`` runs on Spark. Edges are kept as pairs ``(src, dst)`` with
``src < dst`` (node keys compare as strings). A round is:

- *large-star*: every node ``u`` links each neighbour larger than itself to ``m(u)``, the
  smallest of ``u`` and its neighbours;
- *small-star*: every node ``u`` links itself and each neighbour smaller than itself to
  the smallest of them.

Neither changes which nodes are connected; together they turn every component into a
star around its smallest key in O(log^2 n) rounds. The job stops when the edges are stars
(no node is both a centre and a leaf, no leaf has two centres): each component is then
labelled by its smallest key, the same label on every engine. Each round is materialized
(:meth:`~cbec.batch.engine.Engine.materialize`), so that Spark's plans do not grow with the
rounds.

The candidate networks are the components with at least ``min_people`` people; the
Leiden refinement and the measures of each (:func:`cbec.network.communities.discover`) run
on the driver, component by component.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from cbec.batch.engine import Engine, Source
from cbec.errors import CbecError
from cbec.network.graph import PERSON, PERSONAL, PERSONAL_EDGES

#: Tables the job reads (``cbec export-data`` writes them).
NODES, EDGES = "network_nodes", "network_edges"
#: Rounds before the job gives up (large-star / small-star needs O(log^2 n)).
MAX_ROUNDS = 64
COMPONENT_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "key": pl.String,
    "component": pl.String,
    "people": pl.Int64,
}


def _ibis() -> Any:
    import ibis

    return ibis


def _both_ways(edges: Any) -> Any:
    return edges.select(u=edges.src, v=edges.dst).union(
        edges.select(u=edges.dst, v=edges.src), distinct=True
    )


def _normal(pairs: Any) -> Any:
    ibis = _ibis()
    return (
        pairs.filter(pairs.a != pairs.b)
        .select(src=ibis.least(pairs.a, pairs.b), dst=ibis.greatest(pairs.a, pairs.b))
        .distinct()
    )


def large_star(edges: Any) -> Any:
    """Each neighbour ``v > u`` of ``u`` linked to the smallest of ``u`` and its neighbours."""
    ibis = _ibis()
    both = _both_ways(edges)
    smallest = both.group_by("u").agg(low=both.v.min())
    smallest = smallest.select("u", m=ibis.least(smallest.u, smallest.low))
    joined = both.join(smallest, "u")
    return _normal(joined.filter(joined.v > joined.u).select(a=joined.v, b=joined.m))


def small_star(edges: Any) -> Any:
    """``u`` and each neighbour smaller than ``u`` linked to the smallest of them."""
    below = _both_ways(edges)
    below = below.filter(below.v < below.u)
    smallest = below.group_by("u").agg(m=below.v.min())
    joined = below.join(smallest, "u")
    leaves = joined.select(a=joined.v, b=joined.m)
    centres = smallest.select(a=smallest.u, b=smallest.m)
    return _normal(leaves.union(centres, distinct=True))


def _stars(engine: Engine, edges: Any) -> bool:
    """Whether ``edges`` are disjoint stars: no node is both a centre (``src``) and a leaf
    (``dst``), and no leaf has two centres (one query)."""
    ibis = _ibis()
    roles = edges.select(node=edges.src, centre=ibis.literal(1), leaf=ibis.literal(0)).union(
        edges.select(node=edges.dst, centre=ibis.literal(0), leaf=ibis.literal(1))
    )
    per_node = roles.group_by("node").agg(centre=roles.centre.max(), leaf=roles.leaf.sum())
    bad = per_node.filter((per_node.leaf > 1) | ((per_node.centre > 0) & (per_node.leaf > 0)))
    return int(engine.scalar(bad.count())) == 0


def connected_components(engine: Engine, edges: Any, *, max_rounds: int = MAX_ROUNDS) -> Any:
    """(``node``, ``component``) of every node on an edge of ``edges`` (columns ``a``,
    ``b``), ``component`` being the smallest key of its component."""
    current = engine.materialize(_normal(edges.select("a", "b")), "cc_edges")
    for _ in range(max_rounds):
        current = engine.materialize(small_star(large_star(current)), "cc_round")
        if _stars(engine, current):
            break
    else:
        raise CbecError(f"connected components did not converge in {max_rounds} rounds")
    return current.select(node=current.dst, component=current.src).union(
        current.select(node=current.src, component=current.src), distinct=True
    )


def network_components(engine: Engine, source: Source, *, min_people: int = 3) -> pl.DataFrame:
    """The nodes of the personal graph's components with at least ``min_people`` people:
    ``key``, ``component`` (its smallest key) and ``people`` (of the component), by key."""
    ibis = _ibis()
    nodes = source.table(engine, NODES)
    nodes = nodes.filter(nodes.kind.isin(sorted(PERSONAL))).select("key", "kind")
    edges = source.table(engine, EDGES)
    edges = edges.filter(edges.kind.isin(sorted(PERSONAL_EDGES)))
    # edges between personal nodes only (as the graph of the discovery has them)
    ends = nodes.select(end="key")
    edges = edges.semi_join(ends, edges.a == ends.end)
    other = ends.view()
    edges = edges.semi_join(other, edges.b == other.end).select("a", "b")
    labels = connected_components(engine, edges)
    labelled = nodes.left_join(labels, nodes.key == labels.node)
    labelled = labelled.select(
        "key", "kind", component=ibis.coalesce(labelled.component, labelled.key)
    )
    people = (labelled.kind == PERSON).cast("int64").sum().over(group_by=labelled.component)
    sized = labelled.select("key", "component", people=people)
    found = sized.filter(sized.people >= min_people)
    frame = engine.collect(found)
    if frame.is_empty():
        return pl.DataFrame(schema=COMPONENT_SCHEMA)
    return frame.cast(COMPONENT_SCHEMA).sort("key")  # type: ignore[arg-type]
