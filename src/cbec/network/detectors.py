"""Consumer-end monitoring: named detectors over the identity graph, each explained and
scored 0..1, each flagging resident ID numbers (what the risk database's flags are about).

Every detector is a set-based function of the graph's frames (:mod:`cbec.network.frames`)
and the thresholds (:class:`Thresholds`), returning one row per flagged identity:
``subject`` (the ID number), ``key`` (its node), ``detector``, ``score`` and ``reason``
(personal data masked: it is shown to analysts and written to the risk database).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

import polars as pl

from cbec.network.frames import Frames
from cbec.network.graph import (
    ADDRESS,
    BUYS_GOODS,
    BUYS_ON,
    OWN_PHONE,
    PERSON,
    PHONE,
    SHIP_PHONE,
    SHIPS_TO,
)

FLAG_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "subject": pl.String,
    "key": pl.String,
    "detector": pl.String,
    "score": pl.Float64,
    "reason": pl.String,
}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """What each detector calls unusual (``cbec network detect --help`` names them)."""

    #: one identity shipping to this many distinct addresses (or consignee phones)
    addresses_per_identity: int = 3
    phones_per_identity: int = 4
    #: this many identities shipping to one address or one phone
    identities_per_drop: int = 3
    #: share of an address's identities shipping with others' phones or from afar
    shared_address_odd_share: float = 0.5
    #: CNY of lists in the last 30 days, as a share of the annual limit ...
    quota_jump_share: float = 0.5
    #: ... and as a multiple of the identity's monthly average before
    quota_jump_factor: float = 3.0
    annual_limit_cny: float = 26000.0
    #: units of one 6-digit HS code in the window that no household uses
    household_units: int = 12
    #: platforms one identity bought on within ``window_days``
    platforms_per_identity: int = 4
    window_days: int = 7
    #: orders, and the share of them shipped to a phone other than the buyer's own
    mismatch_orders: int = 3
    mismatch_share: float = 0.8
    #: identities of one birthplace (4-digit area) and age band shipping to one city ...
    cluster_identities: int = 4
    #: ... and how many times more than that birthplace and band's share predicts
    cluster_ratio: float = 5.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def saturate(excess: float, scale: float) -> float:
    """0 at no excess, toward 1 as ``excess`` grows past ``scale``.

    >>> saturate(0, 2)
    0.0
    >>> round(saturate(2, 2), 3)
    0.632
    """
    if excess <= 0:
        return 0.0
    return 1.0 - math.exp(-excess / scale)


def _flags(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(list(FLAG_SCHEMA)).cast(FLAG_SCHEMA)  # type: ignore[arg-type]


def _persons(frames: Frames) -> pl.DataFrame:
    return frames.nodes.filter(pl.col("kind") == PERSON).select("key", "subject", "lists", "cents")


def _edges(frames: Frames, kind: str) -> pl.DataFrame:
    return frames.edges.filter(pl.col("kind") == kind)


def _score(column: str, floor: float, scale: float) -> pl.Expr:
    excess = (pl.col(column).cast(pl.Float64) - floor).clip(lower_bound=0)
    return (1.0 - (-excess / scale).exp()).clip(0.05, 1.0)


def many_addresses(frames: Frames, t: Thresholds, now: datetime) -> pl.DataFrame:
    """One identity shipping to many unrelated addresses or consignee phones."""
    addresses = (
        _edges(frames, SHIPS_TO)
        .join(frames.nodes.select("key", "area"), left_on="b", right_on="key")
        .group_by("a")
        .agg(pl.len().alias("addresses"), pl.col("area").n_unique().alias("districts"))
    )
    own = _edges(frames, OWN_PHONE).select("a", pl.col("b").alias("own"))
    phones = (
        _edges(frames, SHIP_PHONE)
        .join(own, on="a", how="left")
        .filter(pl.col("b") != pl.col("own").fill_null(""))
        .group_by("a")
        .agg(pl.col("b").n_unique().alias("phones"))
    )
    found = (
        addresses.join(phones, on="a", how="full", coalesce=True)
        .fill_null(0)
        .filter(
            (pl.col("addresses") >= t.addresses_per_identity)
            | (pl.col("phones") >= t.phones_per_identity)
        )
        .join(_persons(frames), left_on="a", right_on="key")
        .with_columns(
            key=pl.col("a"),
            detector=pl.lit("many_addresses"),
            score=pl.max_horizontal(
                _score("addresses", t.addresses_per_identity - 1, 2.0),
                _score("phones", t.phones_per_identity - 1, 2.0),
            ),
            reason=pl.format(
                "one identity shipped to {} addresses in {} districts and {} phones not its own",
                "addresses",
                "districts",
                "phones",
            ),
        )
    )
    return _flags(found)


def _foreign_phone_users(frames: Frames) -> pl.DataFrame:
    """(a, b): identity ``a`` shipped to phone ``b`` that is not its own."""
    own = _edges(frames, OWN_PHONE).select("a", pl.col("b").alias("own"))
    return (
        _edges(frames, SHIP_PHONE)
        .join(own, on="a", how="left")
        .filter(pl.col("b") != pl.col("own").fill_null(""))
        .select("a", "b")
        .unique()
    )


def foreign_share(frames: Frames) -> pl.DataFrame:
    """(a, foreign_share): the share of identity ``a``'s lists shipped to a phone that is
    not its own (a relative's now and then; a receiver's always, in a ring)."""
    own = _edges(frames, OWN_PHONE).select("a", pl.col("b").alias("own"))
    return (
        _edges(frames, SHIP_PHONE)
        .join(own, on="a", how="left")
        .group_by("a")
        .agg(
            (
                pl.col("weight").filter(pl.col("b") != pl.col("own").fill_null("")).sum()
                / pl.col("weight").sum()
            ).alias("foreign_share")
        )
    )


def shared_phone(frames: Frames, t: Thresholds, now: datetime) -> pl.DataFrame:
    """Many identities shipping to one phone that is none of theirs (a receiver's)."""
    users = _foreign_phone_users(frames)
    phones = (
        users.group_by("b")
        .agg(pl.col("a").n_unique().alias("identities"))
        .filter(pl.col("identities") >= t.identities_per_drop)
        .join(frames.nodes.select("key", "label"), left_on="b", right_on="key")
    )
    found = (
        users.join(phones, on="b")
        .sort("identities", descending=True)
        .group_by("a", maintain_order=True)
        .agg(
            pl.col("identities").first(),
            pl.col("label").first().alias("drop"),
            pl.len().alias("drops"),
        )
        .join(_persons(frames), left_on="a", right_on="key")
        .with_columns(
            key=pl.col("a"),
            detector=pl.lit("shared_phone"),
            score=_score("identities", t.identities_per_drop - 1, 3.0),
            reason=pl.format(
                "{} identities ship to phone {}, none of them its owner ({} such phones here)",
                "identities",
                "drop",
                "drops",
            ),
        )
    )
    return _flags(found)


def shared_address(frames: Frames, t: Thresholds, now: datetime) -> pl.DataFrame:
    """Many identities shipping to one address, most of their lists to a phone not their
    own (a collection point, where people receive their own parcels on their own phones,
    is not flagged)."""
    foreign = foreign_share(frames)
    persons = frames.nodes.filter(pl.col("kind") == PERSON).select(
        "key", person_province="province"
    )
    users = (
        _edges(frames, SHIPS_TO)
        .select("a", "b", "weight")
        .join(frames.nodes.select("key", "label", "province"), left_on="b", right_on="key")
        .join(persons, left_on="a", right_on="key")
        .join(foreign, on="a", how="left")
        .with_columns(
            pl.col("foreign_share").fill_null(0.0),
            afar=(pl.col("person_province") != pl.col("province")).cast(pl.Float64),
        )
    )
    # the share of the address's lists shipped with another's phone, and half the share of
    # its identities from another province (migrants, and Chongqing people born before
    # 1997 with Sichuan ID codes, live far from their ID card's place): the larger is how
    # odd the address is
    addresses = (
        users.group_by("b")
        .agg(
            pl.col("a").n_unique().alias("identities"),
            ((pl.col("foreign_share") * pl.col("weight")).sum() / pl.col("weight").sum()).alias(
                "foreign"
            ),
            pl.col("afar").mean(),
        )
        .with_columns(odd_share=pl.max_horizontal("foreign", pl.col("afar") / 2))
        .filter(
            (pl.col("identities") >= t.identities_per_drop)
            & (pl.col("odd_share") >= t.shared_address_odd_share)
        )
    )
    found = (
        users.join(addresses, on="b")
        .sort("identities", descending=True)
        .group_by("a", maintain_order=True)
        .agg(
            pl.col("identities").first(),
            pl.col("odd_share").first(),
            pl.col("label").first().alias("drop"),
        )
        .join(_persons(frames), left_on="a", right_on="key")
        .with_columns(
            key=pl.col("a"),
            detector=pl.lit("shared_address"),
            score=(_score("identities", t.identities_per_drop - 1, 3.0) * pl.col("odd_share")).clip(
                0.05, 1.0
            ),
            reason=pl.format(
                "{} identities ship to address {}; {}% of them to a phone not their own or "
                "from another province",
                "identities",
                "drop",
                (pl.col("odd_share") * 100).round(0).cast(pl.Int64),
            ),
        )
    )
    return _flags(found)


def quota_jump(
    frames: Frames, t: Thresholds, now: datetime, recent: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Identities whose quota use jumps: the last 30 days' value against the annual limit
    and against their own monthly average before. ``recent`` has (key, recent_cents,
    before_cents) from the risk counters; without it, the graph's totals count as recent
    for identities first seen within 30 days."""
    persons = _persons(frames).join(frames.nodes.select("key", "first_seen"), on="key", how="left")
    if recent is None:
        fresh = now - timedelta(days=30)
        recent = persons.select(
            "key",
            pl.when(pl.col("first_seen") >= fresh)
            .then(pl.col("cents"))
            .otherwise(0)
            .alias("recent_cents"),
            pl.when(pl.col("first_seen") >= fresh)
            .then(0)
            .otherwise(pl.col("cents"))
            .alias("before_cents"),
        )
    limit = t.annual_limit_cny * 100
    found = (
        persons.join(recent, on="key")
        .with_columns(
            share=pl.col("recent_cents") / limit,
            before_month=pl.col("before_cents") / 11.0,
        )
        .filter(
            (pl.col("share") >= t.quota_jump_share)
            & (pl.col("recent_cents") >= t.quota_jump_factor * pl.col("before_month"))
        )
        .with_columns(
            detector=pl.lit("quota_jump"),
            score=pl.col("share").clip(0.05, 1.0),
            reason=pl.format(
                "{}% of the annual limit used in 30 days (before: {} CNY a month on average)",
                (pl.col("share") * 100).round(0).cast(pl.Int64),
                (pl.col("before_month") / 100).round(0).cast(pl.Int64),
            ),
        )
    )
    return _flags(found)


def household_quantity(frames: Frames, t: Thresholds, now: datetime) -> pl.DataFrame:
    """Identities buying goods in quantities no household uses."""
    since = now - timedelta(days=max(30, t.window_days))
    found = (
        _edges(frames, BUYS_GOODS)
        .filter((pl.col("last_seen") >= since) & (pl.col("weight") >= t.household_units))
        .sort("weight", descending=True)
        .group_by("a", maintain_order=True)
        .agg(pl.col("weight").first().alias("units"), pl.col("b").first().alias("goods"))
        .join(_persons(frames), left_on="a", right_on="key")
        .with_columns(
            key=pl.col("a"),
            detector=pl.lit("household_quantity"),
            score=_score("units", t.household_units - 1, float(t.household_units)),
            reason=pl.format(
                "{} units of HS {} within 30 days",
                "units",
                pl.col("goods").str.slice(2),
            ),
        )
    )
    return _flags(found)


def many_platforms(frames: Frames, t: Thresholds, now: datetime) -> pl.DataFrame:
    """Identities used across many platforms in a short time."""
    since = now - timedelta(days=t.window_days)
    found = (
        _edges(frames, BUYS_ON)
        .filter(pl.col("last_seen") >= since)
        .group_by("a")
        .agg(pl.col("b").n_unique().alias("platforms"))
        .filter(pl.col("platforms") >= t.platforms_per_identity)
        .join(_persons(frames), left_on="a", right_on="key")
        .with_columns(
            key=pl.col("a"),
            detector=pl.lit("many_platforms"),
            score=_score("platforms", t.platforms_per_identity - 1, 2.0),
            reason=pl.format(
                "bought on {} platforms within {} days", "platforms", pl.lit(t.window_days)
            ),
        )
    )
    return _flags(found)


def phone_mismatch(frames: Frames, t: Thresholds, now: datetime) -> pl.DataFrame:
    """Identities whose orders mostly ship to a phone other than the buyer's own."""
    found = (
        foreign_share(frames)
        .join(
            _edges(frames, SHIP_PHONE).group_by("a").agg(pl.col("weight").sum().alias("orders")),
            on="a",
        )
        .filter(
            (pl.col("orders") >= t.mismatch_orders) & (pl.col("foreign_share") >= t.mismatch_share)
        )
        .join(_persons(frames), left_on="a", right_on="key")
        .with_columns(
            key=pl.col("a"),
            detector=pl.lit("phone_mismatch"),
            score=(pl.col("foreign_share") * (1 - (-(pl.col("orders") / 5.0)).exp())).clip(
                0.05, 1.0
            ),
            reason=pl.format(
                "{} of {} orders shipped to a phone that is not the buyer's",
                (pl.col("foreign_share") * pl.col("orders")).round(0).cast(pl.Int64),
                "orders",
            ),
        )
    )
    return _flags(found)


def birthplace_cluster(frames: Frames, t: Thresholds, now: datetime) -> pl.DataFrame:
    """ID numbers of one birthplace and age band concentrated in one consignee city far
    from it: among the identities shipping to a city outside the province that issued their
    ID card, a (birthplace, age band) group much larger than that group's share of all
    identities predicts (people mostly live near where they were born, so home cities do
    not count)."""
    persons = frames.nodes.filter(
        (pl.col("kind") == PERSON) & (pl.col("area").str.len_chars() == 6)
    ).select(
        "key",
        "subject",
        birthplace=pl.col("area").str.slice(0, 4),
        band=(pl.col("birth_year") // 10 * 10).fill_null(0),
    )
    cities = (
        _edges(frames, SHIPS_TO)
        .join(frames.nodes.filter(pl.col("kind") == ADDRESS), left_on="b", right_on="key")
        .filter(pl.col("area").str.len_chars() == 6)
        .select("a", city=pl.col("area").str.slice(0, 4))
        .unique()
    )
    joined = cities.join(persons, left_on="a", right_on="key").filter(
        pl.col("city").str.slice(0, 2) != pl.col("birthplace").str.slice(0, 2)
    )
    total = persons.height
    if joined.is_empty():
        return pl.DataFrame(schema=FLAG_SCHEMA)
    city_size = joined.group_by("city").agg(pl.col("a").n_unique().alias("in_city"))
    origin = persons.group_by("birthplace", "band").agg(pl.len().alias("of_origin"))
    groups = (
        joined.group_by("city", "birthplace", "band")
        .agg(pl.col("a").n_unique().alias("identities"))
        .join(city_size, on="city")
        .join(origin, on=["birthplace", "band"])
        .with_columns(expected=pl.col("in_city") * pl.col("of_origin") / total)
        .with_columns(ratio=pl.col("identities") / pl.col("expected"))
        .filter(
            (pl.col("identities") >= t.cluster_identities) & (pl.col("ratio") >= t.cluster_ratio)
        )
    )
    found = (
        joined.join(groups, on=["city", "birthplace", "band"])
        .unique("a")
        .with_columns(
            key=pl.col("a"),
            detector=pl.lit("birthplace_cluster"),
            score=_score("ratio", t.cluster_ratio - 1, 10.0),
            reason=pl.format(
                "{} identities born in area {}xx in the {}s ship to city {}xx "
                "({}x what the area's share predicts)",
                "identities",
                "birthplace",
                "band",
                "city",
                pl.col("ratio").round(1),
            ),
        )
    )
    return _flags(found)


Detector = Callable[[Frames, Thresholds, datetime], pl.DataFrame]

#: Every detector, by name, with what it looks for.
DETECTORS: dict[str, tuple[Detector, str]] = {
    "many_addresses": (
        many_addresses,
        "one identity shipping to many unrelated addresses or phones",
    ),
    "shared_phone": (shared_phone, "many identities shipping to one phone none of them owns"),
    "shared_address": (
        shared_address,
        "many identities shipping to one address, mostly with others' phones or from afar",
    ),
    "quota_jump": (quota_jump, "an identity whose quota use jumps"),
    "household_quantity": (
        household_quantity,
        "an identity buying goods in quantities no household uses",
    ),
    "many_platforms": (many_platforms, "an identity used on many platforms in a short time"),
    "phone_mismatch": (
        phone_mismatch,
        "an identity whose orders mostly ship to a phone not the buyer's",
    ),
    "birthplace_cluster": (
        birthplace_cluster,
        "identities of one birthplace and age band concentrated in one city",
    ),
}


def detect(
    frames: Frames,
    thresholds: Thresholds | None = None,
    now: datetime | None = None,
    only: set[str] | None = None,
) -> pl.DataFrame:
    """Every detector's flags (one row per identity and detector), best first."""
    t = thresholds or Thresholds()
    moment = now or frames.latest
    if moment is None:
        return pl.DataFrame(schema=FLAG_SCHEMA)
    found = [
        detector(frames, t, moment)
        for name, (detector, _) in DETECTORS.items()
        if only is None or name in only
    ]
    if not found:
        return pl.DataFrame(schema=FLAG_SCHEMA)
    return pl.concat(found).filter(pl.col("subject") != "").sort("score", descending=True)


def strongest(flags: pl.DataFrame) -> dict[str, float]:
    """Each flagged person's strongest flag score, by node key."""
    if flags.is_empty():
        return {}
    best = flags.group_by("key").agg(pl.col("score").max())
    return dict(zip(best["key"].to_list(), best["score"].to_list(), strict=True))


__all__ = ["DETECTORS", "PHONE", "Thresholds", "detect", "strongest"]
