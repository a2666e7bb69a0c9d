"""The features of enterprise portraits as a batch job: what every enterprise's lists, tax
statements and flags add up to over a window, defined once as ibis expressions and run on
the embedded engine or on Spark (:mod:`cbec.batch.engine`), from the store or from a
``cbec export-data`` folder.

Per enterprise (in any role on a list: platform, e-commerce enterprise, agent, logistics,
payment) over the lists decided in [start, end): lists, lists of the window of the same
length before, taxable value, tax of released lists, rejections by the checks, manual
reviews and their rejections, inspections, discrepancies, seizures (from the lists' state
history), lists rejected for a wrong tax (rule ``C10.tax``), distinct buyers and those
flagged by consumer monitoring (blind indexes), lists paid through a payment company
captive to their platform; as a guarantee, its tax statements due by the window's end and
how each stood then; consumer and ``network`` flags on it valid at the window's end.

:func:`facts` turns the rows into :class:`~cbec.portrait.score.Facts`, which
:func:`cbec.portrait.score.portrait` scores. Platform verification (officers' checks and
the automatic ones over catalogues, documents and message bodies) stays in
:mod:`cbec.portrait.service`, on the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from cbec.batch import export
from cbec.batch.engine import Engine, Source
from cbec.messages.fields import CST
from cbec.portrait.repository import CONSUMER_KINDS, RELEASED
from cbec.portrait.score import CAPTIVE_MIN_LISTS, CAPTIVE_SHARE, Facts

#: Tables the job reads (``cbec export-data`` writes them).
DECLARATIONS, EVENTS, ENTERPRISES = "declarations", "declaration_events", "enterprises"
STATEMENTS, FLAGS = "tax_statements", "risk_flags"
TABLES = (DECLARATIONS, EVENTS, ENTERPRISES, STATEMENTS, FLAGS)
#: the parties of a list, each an enterprise the list counts for
PARTIES = ("ebp_code", "ebc_code", "agent_code", "logistics_code", "pay_code")
COUNTS = (
    "lists",
    "lists_before",
    "rejected",
    "reviewed",
    "review_rejected",
    "inspected",
    "discrepancies",
    "seizures",
    "tax_misdeclared",
    "captive_lists",
    "buyers",
    "disputed_buyers",
    "disputes",
    "tax_statements",
    "tax_paid_late",
    "tax_overdue",
    "tax_days_late",
    "network_flags",
)
MONIES = ("value", "tax_billed", "tax_overdue_cny")
#: the rule of a list rejected because its declared tax was wrong
TAX_RULE = "C10.tax"
CENT = Decimal("0.00001")


def _ibis() -> Any:
    import ibis

    return ibis


def store_source(session: Session, start: datetime, end: datetime) -> Source:
    """The job's tables read from the store: the lists decided in the window and the one
    before it (with their events), enterprises, tax statements and flags."""
    since = start - (end - start)
    return Source(
        session=session,
        readers={
            DECLARATIONS: partial(export.declarations, since=since, until=end),
            EVENTS: partial(export.declaration_events, since=since, until=end),
            ENTERPRISES: export.enterprises,
            STATEMENTS: export.tax_statements,
            FLAGS: export.risk_flags,
        },
    )


def _between(t: Any, start: datetime, end: datetime) -> Any:
    ibis = _ibis()
    return t.filter(
        t.decided_at >= ibis.literal(start.astimezone(UTC)),
        t.decided_at < ibis.literal(end.astimezone(UTC)),
    )


def _parties(lists: Any) -> Any:
    """(``id``, ``code``): each list once per distinct enterprise named on it."""
    parts = [
        lists.filter(lists[c].notnull() & (lists[c] != "")).select("id", code=lists[c])
        for c in PARTIES
    ]
    out = parts[0]
    for part in parts[1:]:
        out = out.union(part, distinct=True)
    return out


def _outcomes(lists: Any, events: Any) -> Any:
    """Each list with its outcomes from its state history (0/1 each)."""
    ibis = _ibis()
    e = events

    def ever(condition: Any) -> Any:
        return ibis.ifelse(condition, 1, 0).max()

    history = e.group_by(did=e.declaration_id).agg(
        rejected=ever((e.from_status == 120) & (e.to_status == 100)),
        reviewed=ever(e.to_status == 300),
        review_rejected=ever((e.from_status == 300) & (e.to_status == 100)),
        inspected=ever(e.to_status == 500),
        discrepancy=ever((e.from_status == 500) & e.to_status.isin([501, 503, 599, 700])),
        seized=ever(e.to_status == 502),
    )
    j = lists.left_join(history, lists.id == history.did)
    flags = ("rejected", "reviewed", "review_rejected", "inspected", "discrepancy", "seized")
    released = j.status.isin(list(RELEASED))
    return j.select(
        "id",
        "ebp_code",
        "pay_code",
        "buyer_key",
        value=j.taxable_value,
        tax=ibis.cases((released, j.tax_total), else_=None),
        misdeclared=ibis.ifelse(j.rules.contains(TAX_RULE) & (j.status == 100), 1, 0),
        **{f: j[f].fill_null(0) for f in flags},
    )


def captive_pairs(lists: Any) -> Any:
    """(``c_pay``, ``c_ebp``, ``captive`` = 1): the (payment company, platform) pairs of
    ``lists`` (columns ``pay_code``, ``ebp_code``) in a closed loop: the company's lists
    (at least :data:`~cbec.portrait.score.CAPTIVE_MIN_LISTS`) are all of that one platform,
    and the platform's lists go at least :data:`~cbec.portrait.score.CAPTIVE_SHARE` through
    it."""
    ibis = _ibis()
    paid = lists.filter(lists.pay_code.notnull() & (lists.pay_code != ""))
    pairs = paid.group_by(pay=paid.pay_code, ebp=paid.ebp_code).agg(n=paid.count())
    of_pay = pairs.group_by("pay").agg(platforms=pairs.ebp.nunique())
    of_platform = pairs.group_by(p_ebp=pairs.ebp).agg(total=pairs.n.sum())
    j = pairs.join(of_pay, "pay").join(of_platform, pairs.ebp == of_platform.p_ebp)
    share = ibis.literal(CAPTIVE_SHARE, type="float64") * j.total.cast("float64")
    found = j.filter(
        (j.platforms == 1) & (j.n >= CAPTIVE_MIN_LISTS) & (j.n.cast("float64") >= share)
    )
    return found.select(c_pay="pay", c_ebp="ebp", captive=ibis.literal(1))


def _valid(flags: Any, moment: datetime) -> Any:
    ibis = _ibis()
    at = ibis.literal(moment.astimezone(UTC))
    return flags.filter(
        flags.valid_from.isnull() | (flags.valid_from <= at),
        flags.valid_to.isnull() | (at < flags.valid_to),
    )


def _tax(statements: Any, since: date, as_of: date) -> Any:
    """Per guarantee: its statements due before ``as_of`` (not settled before ``since``)
    and how each stood on ``as_of`` (:func:`cbec.clearance.statements.standing`)."""
    ibis = _ibis()
    s = statements
    since_, on = ibis.literal(since), ibis.literal(as_of)
    s = s.filter(s.due_on < on)
    s = s.filter(~(s.due_on < since_) | s.paid_on.isnull() | (s.paid_on >= since_))
    paid = s.paid_on.notnull() & (s.paid_on <= on)
    late = s.paid_on.delta(s.due_on, unit="day")
    overdue = ~paid & (on > s.due_on)
    owed = s.total - s.paid
    rows = s.select(
        code=s.guarantor_code,
        paid_late=ibis.ifelse(paid & (late > 0), 1, 0),
        overdue=ibis.ifelse(overdue, 1, 0),
        days=ibis.cases(
            (paid, ibis.greatest(late, 0)),
            (overdue, on.delta(s.due_on, unit="day")),
            else_=0,
        ),
        outstanding=ibis.cases((overdue & (owed > 0), owed), else_=None),
    )
    return rows.group_by(t_code=rows.code).agg(
        tax_statements=rows.count(),
        tax_paid_late=rows.paid_late.sum(),
        tax_overdue=rows.overdue.sum(),
        tax_days_late=rows.days.max(),
        tax_overdue_cny=rows.outstanding.sum(),
    )


def features(
    engine: Engine,
    source: Source,
    start: datetime,
    end: datetime,
    codes: Iterable[str] | None = None,
) -> pl.DataFrame:
    """One row per enterprise of ``codes`` (default: every enterprise with a list decided
    in [start, end)) that is filed: ``code``, ``roles``, ``filing_date`` and the columns of
    :data:`COUNTS`, :data:`MONIES` and ``network_score``, by code."""
    ibis = _ibis()
    declared = source.table(engine, DECLARATIONS)
    events = source.table(engine, EVENTS)
    filed = source.table(engine, ENTERPRISES)
    flags = source.table(engine, FLAGS)
    statements = source.table(engine, STATEMENTS)

    window = _between(declared, start, end)
    parties = _parties(window)
    lists = _outcomes(window, events)
    captive = captive_pairs(lists)
    lists = lists.left_join(
        captive, (lists.pay_code == captive.c_pay) & (lists.ebp_code == captive.c_ebp)
    )
    consumer = _valid(flags, end)
    consumer = consumer.filter(
        (consumer.source == "consumer") & consumer.kind.isin(list(CONSUMER_KINDS))
    )
    disputed = (
        consumer.filter(consumer.subject_kind == "identity").select(key="subject_key").distinct()
    )
    lists = lists.left_join(disputed, lists.buyer_key == disputed.key)
    lists = lists.select(
        *(c for c in lists.columns if c not in ("c_pay", "c_ebp", "captive", "key")),
        captive=lists.captive.fill_null(0),
        disputed_buyer=ibis.cases((lists.key.notnull(), lists.buyer_key), else_=None),
    )
    per_list = parties.join(lists, "id")
    scale = per_list.group_by(s_code=per_list.code).agg(
        lists=per_list.count(),
        value=per_list.value.sum(),
        tax_billed=per_list.tax.sum(),
        rejected=per_list.rejected.sum(),
        reviewed=per_list.reviewed.sum(),
        review_rejected=per_list.review_rejected.sum(),
        inspected=per_list.inspected.sum(),
        discrepancies=per_list.discrepancy.sum(),
        seizures=per_list.seized.sum(),
        tax_misdeclared=per_list.misdeclared.sum(),
        captive_lists=per_list.captive.sum(),
        buyers=per_list.buyer_key.nunique(),
        disputed_buyers=per_list.disputed_buyer.nunique(),
    )
    before = _parties(_between(declared.view(), start - (end - start), start))
    before = before.group_by(b_code=before.code).agg(lists_before=before.count())
    on_me = consumer.filter(consumer.subject_kind == "enterprise")
    on_me = on_me.group_by(d_code=on_me.subject_key).agg(disputes=on_me.count())
    network = _valid(flags.view(), end)
    network = network.filter((network.source == "network") & (network.subject_kind == "enterprise"))
    network = network.group_by(n_code=network.subject_key).agg(
        network_flags=network.count(), network_score=network.score.max()
    )
    tax = _tax(statements, start.astimezone(CST).date(), end.astimezone(CST).date())

    wanted = filed.select(code=filed.customs_code, roles=filed.roles, filing_date=filed.filing_date)
    if codes is None:
        active = parties.select(a_code="code").distinct()
        wanted = wanted.semi_join(active, wanted.code == active.a_code)
    else:
        wanted = wanted.filter(wanted.code.isin(sorted(set(codes))))
    j = wanted
    for part, key in ((scale, "s_code"), (before, "b_code"), (on_me, "d_code"),
                      (network, "n_code"), (tax, "t_code")):  # fmt: skip
        j = j.left_join(part, j.code == part[key]).drop(key)
    counts = {c: j[c].fill_null(0).cast("int64") for c in COUNTS}
    out = j.select(
        code=j.code,
        roles=j.roles,
        filing_date=j.filing_date,
        **counts,
        **{m: j[m] for m in MONIES},
        network_score=j.network_score.fill_null(0.0).cast("float64"),
    )
    return engine.collect(out).sort("code")


def _money(value: Decimal | None) -> Decimal:
    """A sum of money as the store gives it (five places), or 0 when nothing was summed
    (nothing, or only zeros)."""
    if value is None or value == 0:
        return Decimal(0)
    return Decimal(value).quantize(CENT)


def facts(frame: pl.DataFrame) -> dict[str, Facts]:
    """The :class:`Facts` of each enterprise of a :func:`features` frame, by code."""
    out: dict[str, Facts] = {}
    for row in frame.iter_rows(named=True):
        roles = tuple(r for r in (row["roles"] or "").split(",") if r)
        out[row["code"]] = Facts(
            code=row["code"],
            roles=roles,
            filing_date=row["filing_date"],
            lists=row["lists"],
            lists_before=row["lists_before"],
            value=_money(row["value"]),
            rejected=row["rejected"],
            reviewed=row["reviewed"],
            review_rejected=row["review_rejected"],
            inspected=row["inspected"],
            discrepancies=row["discrepancies"],
            seizures=row["seizures"],
            tax_billed=_money(row["tax_billed"]),
            tax_statements=row["tax_statements"],
            tax_paid_late=row["tax_paid_late"],
            tax_overdue=row["tax_overdue"],
            tax_days_late=row["tax_days_late"],
            tax_overdue_cny=_money(row["tax_overdue_cny"]),
            tax_misdeclared=row["tax_misdeclared"],
            buyers=row["buyers"],
            disputed_buyers=row["disputed_buyers"],
            # a dispute flags the buyer's identity and the list's enterprises: count it once
            disputes=max(row["disputed_buyers"], row["disputes"]),
            network_flags=row["network_flags"],
            network_score=float(row["network_score"]),
            captive_lists=row["captive_lists"],
        )
    return out


def portrait_facts(
    engine: Engine,
    source: Source,
    start: datetime,
    end: datetime,
    codes: Iterable[str] | None = None,
) -> dict[str, Facts]:
    """:func:`features` as :class:`Facts`."""
    return facts(features(engine, source, start, end, codes))
