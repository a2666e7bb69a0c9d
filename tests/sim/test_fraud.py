"""Each fraud pattern is labelled and really present in the traffic."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

import pytest
from stdnum.cn import ric

from cbec.sim import fraud
from cbec.sim.goods import CATALOGUE
from tests.sim.reading import Written

SKU = {g.sku: g for g in CATALOGUE}


def test_labels_describe_every_pattern_and_name_real_orders(written: Written) -> None:
    labels = written.labels
    assert labels["format"] == "cbec-labels/1"
    assert labels["seed"] == 11
    assert set(labels["patterns"]) == set(fraud.PATTERNS)
    present = {tag for tags in labels["orders"].values() for tag in tags}
    assert present == set(fraud.PATTERNS)
    assert set(labels["orders"]) <= set(written.by_order)
    assert 0.04 * 2000 <= len(labels["orders"]) <= 0.07 * 2000


@pytest.mark.parametrize("budget", [0, 1, 5, 15, 50, 5000])
def test_allocation_spends_the_budget(budget: int) -> None:
    counts = fraud.allocate(budget)
    assert sum(counts.values()) == budget
    assert all(counts[p] in (0,) or counts[p] >= 1 for p in counts)
    if budget >= 50:
        assert all(counts.values())


def test_buyer_is_not_payer(written: Written) -> None:
    for order_no in written.labelled(fraud.BUYER_NOT_PAYER):
        order = written.last(order_no, "CEB311")
        payment = written.last(order_no, "CEB411")
        assert payment.payerIdNumber != order.buyerIdNumber
        assert payment.payerName != order.buyerName or payment.payerIdNumber
        assert payment.amountPaid == order.acturalPaid  # only the payer differs


def test_undervalued_prices_are_far_below_the_catalogue(written: Written) -> None:
    for order_no in written.labelled(fraud.UNDERVALUED):
        for line in written.lines(order_no, "CEB621"):
            assert line.price <= SKU[line.itemNo].price_min * Decimal("0.3")
        assert written.last(order_no, "CEB411").amountPaid == (
            written.last(order_no, "CEB311").acturalPaid
        )


def test_fake_platform_is_paid_only_through_its_colluding_payer(written: Written) -> None:
    tagged = {c for c, tags in written.labels["enterprises"].items() if "fake_platform" in tags}
    roles = {c: written.enterprises[c]["roles"] for c in tagged}
    platform = next(c for c, r in roles.items() if "platform" in r)
    payer = next(c for c, r in roles.items() if "payment" in r)
    orders = written.labelled(fraud.FAKE_PLATFORM)
    assert orders
    on_platform = [o for o in written.by_order if written.last(o, "CEB311").ebpCode == platform]
    assert sorted(on_platform) == orders
    paid_through = [o for o in written.by_order if written.last(o, "CEB411").payCode == payer]
    assert sorted(paid_through) == orders
    assert written.enterprises[platform]["filingDate"] >= "2026-01-01"


def test_identity_pools_split_one_consignment(written: Written) -> None:
    pool_ids = {i for i, tags in written.labels["identities"].items() if "identity_pool" in tags}
    orders = written.labelled(fraud.IDENTITY_POOL)
    assert len(orders) >= 6
    assert len(pool_ids) >= 3
    by_goods: dict[str, list[str]] = defaultdict(list)
    for order_no in orders:
        order = written.last(order_no, "CEB311")
        assert order.buyerIdNumber in pool_ids
        assert ric.is_valid(order.buyerIdNumber)
        assert order.goodsValue <= Decimal(5000)
        (line,) = written.lines(order_no, "CEB311")
        by_goods[f"{order.ebcCode}/{line.itemNo}"].append(order_no)
    for group in by_goods.values():
        addresses = {written.last(o, "CEB311").consigneeAddress for o in group}
        buyers = {written.last(o, "CEB311").buyerIdNumber for o in group}
        assert len(addresses) <= 3 < len(group)
        assert len(buyers) >= 3
        assert (
            Counter(written.last(o, "CEB311").buyerIdNumber for o in group).most_common(1)[0][1]
            >= 2
        )


def test_quota_overrun_buyers_exceed_the_annual_limit(written: Written) -> None:
    overrun = {
        i for i, tags in written.labels["identities"].items() if "annual_quota_overrun" in tags
    }
    assert overrun
    totals: Counter[str] = Counter()
    for order_no in written.by_order:
        order = written.last(order_no, "CEB311")
        totals[order.buyerIdNumber] += order.goodsValue + order.freight
    for identity in overrun:
        assert totals[identity] > 26000
        assert all(
            written.last(o, "CEB311").goodsValue <= 5000
            for o in written.labelled(fraud.ANNUAL_QUOTA_OVERRUN)
        )
    honest_max = max(v for k, v in totals.items() if k not in overrun)
    assert honest_max <= 26000


def test_documents_disagree_in_one_document(written: Written) -> None:
    orders = written.labelled(fraud.DOCUMENTS_DISAGREE)
    kinds: Counter[str] = Counter()
    waybill_owner = {written.last(o, "CEB511").logisticsNo: o for o in written.by_order}
    for order_no in orders:
        order = written.last(order_no, "CEB311")
        payment = written.last(order_no, "CEB411")
        listing = written.last(order_no, "CEB621")
        order_qty = [x.qty for x in written.lines(order_no, "CEB311")]
        list_qty = [x.qty for x in written.lines(order_no, "CEB621")]
        found = []
        if payment.amountPaid != order.acturalPaid:
            found.append("amount")
        if order_qty != list_qty:
            found.append("qty")
        if waybill_owner.get(listing.logisticsNo) != order_no:
            found.append("waybill")
        assert len(found) == 1, (order_no, found)
        kinds[found[0]] += 1
    assert set(kinds) == {"amount", "qty", "waybill"}


def test_invalid_ids_are_labelled(written: Written) -> None:
    invalid = {i for i, tags in written.labels["identities"].items() if "invalid_id" in tags}
    orders = written.labelled(fraud.INVALID_ID)
    assert orders
    assert invalid
    for order_no in orders:
        number = written.last(order_no, "CEB311").buyerIdNumber
        assert number in invalid
        assert not ric.is_valid(number)
        assert written.last(order_no, "CEB621").buyerIdNumber == number
