"""Features on hand-built histories (pure: the aggregates in memory)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from cbec.messages.fields import CST
from cbec.privacy import blind_id
from cbec.risk.aggregates import MemoryAggregates
from cbec.risk.features import (
    FEATURES,
    ClassRow,
    Externals,
    Facts,
    FeatureValue,
    Flag,
    Line,
    compute,
    fields_of,
    needs,
    observation,
    pseudonym,
)

DAY = datetime(2026, 11, 11, 9, 50, tzinfo=CST)


def facts(
    n: int,
    *,
    at: datetime = DAY,
    buyer: str = "110105198001011238",
    payer: str | None = None,
    address: str = "北京市朝阳区建国路88号",
    phone: str = "13812345678",
    price: float = 100.0,
    value: str = "200",
    hs: str = "1901101010",
    pay_code: str = "PAY1",
    ebp_code: str = "EBP1",
) -> Facts:
    payer = payer or buyer
    return Facts(
        declaration_id=n,
        at=at,
        buyer_id=buyer,
        payer_id=payer,
        consignee_phone=phone,
        consignee_address=address,
        buyer=pseudonym("identity", buyer),
        payer=pseudonym("identity", payer),
        address=pseudonym("address", address),
        phone=pseudonym("phone", phone),
        ebp_code=ebp_code,
        ebc_code="EBC1",
        agent_code="AGT1",
        logistics_code="LOG1",
        logistics_no=f"L{n}",
        pay_code=pay_code,
        trade_mode="9610",
        customs_code="5141",
        port_code="5141",
        country="305",
        lines=(Line(f"{hs}|011", hs, "305", price),),
        taxable_value=Decimal(value),
        gross_weight=Decimal("2.1"),
        net_weight=Decimal("1.8"),
        waybill_weight=Decimal("2.0"),
        order_time=at - timedelta(minutes=20),
        pay_time=at - timedelta(minutes=17),
        waybill_time=at - timedelta(minutes=10),
    )


class History:
    """Lists observed one after the other, as real time and batch both do."""

    def __init__(self, externals: Externals | None = None) -> None:
        self.memory = MemoryAggregates()
        self.externals = externals or Externals()

    def add(self, f: Facts) -> dict[str, FeatureValue]:
        values = compute(f, self.memory.read(needs(f)), self.externals)
        self.memory.apply(observation(f))
        return values


def test_every_feature_is_computed_and_described() -> None:
    values = History().add(facts(1))
    assert set(values) == set(FEATURES)
    assert all(spec.description for spec in FEATURES.values())


def test_buyer_lists_in_the_last_1_30_365_days_count_this_one() -> None:
    history = History()
    for n, days_ago in enumerate([400, 200, 20, 0]):
        history.add(facts(n, at=DAY - timedelta(days=days_ago)))
    last = history.add(facts(9))
    assert (last["buyer_lists_1d"], last["buyer_lists_30d"], last["buyer_lists_365d"]) == (
        2.0,
        3.0,
        4.0,
    )
    assert last["buyer_value_1d"] == 400.0
    other = history.add(facts(10, buyer="110105198001021234"))
    assert other["buyer_lists_365d"] == 1.0


def test_quota_used_counts_the_calendar_year_only() -> None:
    history = History()
    history.add(facts(1, at=datetime(2025, 12, 31, 12, tzinfo=CST), value="20000"))
    history.add(facts(2, at=datetime(2026, 1, 2, 12, tzinfo=CST), value="13000"))
    values = history.add(facts(3, at=datetime(2026, 3, 1, 12, tzinfo=CST), value="13000"))
    assert values["quota_used"] == 1.0
    assert values["buyer_lists_365d"] == 3.0


def test_distinct_addresses_phones_and_buyers_and_first_seen_consignee() -> None:
    history = History()
    first = history.add(facts(1, address="A"))
    assert (first["buyer_addresses"], first["first_seen_consignee"]) == (1.0, True)
    second = history.add(facts(2, address="B", phone="13900000001"))
    assert (second["buyer_addresses"], second["buyer_phones"]) == (2.0, 2.0)
    again = history.add(facts(3, address="A"))
    assert (again["buyer_addresses"], again["first_seen_consignee"]) == (2.0, False)
    pool = [
        history.add(facts(10 + i, buyer=f"11010519800101{i:03d}8", address="A")) for i in range(3)
    ]
    assert [v["address_buyers"] for v in pool] == [2.0, 3.0, 4.0]
    assert [v["phone_buyers"] for v in pool] == [2.0, 3.0, 4.0]
    assert all(v["first_seen_consignee"] for v in pool)


def test_payer_not_buyer_and_its_history() -> None:
    history = History()
    paid = history.add(facts(1, payer="110105198001021234"))
    assert paid["payer_not_buyer"] is True
    assert paid["buyer_paid_by_other_before"] == 0.0
    later = history.add(facts(2))
    assert later["payer_not_buyer"] is False
    assert later["buyer_paid_by_other_before"] == 1.0
    for_another = history.add(facts(3, buyer="110105198001031230", payer="110105198001021234"))
    assert for_another["payer_buyers"] == 2.0


def test_payment_company_serving_one_platform() -> None:
    history = History()
    history.add(facts(1, pay_code="SMALLPAY", ebp_code="NEW"))
    values = history.add(facts(2, pay_code="SMALLPAY", ebp_code="NEW"))
    assert (values["pay_platforms"], values["platform_pay_companies"]) == (1.0, 1.0)
    values = history.add(facts(3, pay_code="SMALLPAY", ebp_code="OTHER"))
    assert values["pay_platforms"] == 2.0


def test_unit_price_against_the_reference_of_the_same_hs_code() -> None:
    history = History()
    early = [history.add(facts(n, price=100.0 + n)) for n in range(10)]
    assert early[-1]["unit_price_ratio"] is None  # 9 observations: no reference yet
    assert early[-1]["price_reference_n"] == 9.0
    cheap = history.add(facts(20, price=20.0))
    assert cheap["price_reference_n"] == 10.0
    ratio = cheap["unit_price_ratio"]
    assert isinstance(ratio, float)
    assert 0.18 < ratio < 0.21
    z = cheap["unit_price_z"]
    assert isinstance(z, float)
    assert z < -10
    usual = history.add(facts(21, price=104.0))
    assert isinstance(usual["unit_price_ratio"], float)
    assert 0.95 < usual["unit_price_ratio"] < 1.05
    other_code = history.add(facts(22, price=20.0, hs="3304990099"))
    assert other_code["unit_price_ratio"] is None


def test_flags_and_classes_are_taken_when_valid_at_the_list() -> None:
    buyer, payer = "110105198001011238", "110105198001021234"
    # identity flags name people by the blind index of their ID number
    externals = Externals(
        flags=(
            Flag("identity", blind_id(buyer), "platform", "identity_unverified", 0.7),
            Flag(
                "identity",
                blind_id(buyer),
                "consumer",
                "identity_misuse",
                0.9,
                valid_to=DAY - timedelta(days=1),
            ),
            Flag("identity", blind_id(payer), "payment", "suspicious_payment", 0.5),
            Flag("identity", buyer, "platform", "identity_unverified", 1.0),  # not by number
            Flag("enterprise", "PAY1", "payment", "chargebacks", 0.4),
            Flag("identity", "somebody else", "platform", "identity_unverified", 1.0),
        ),
        classes=(
            ClassRow("EBC1", "B"),
            ClassRow("EBC1", "C", valid_from=DAY - timedelta(days=3)),
            ClassRow("EBP1", "A", valid_from=DAY + timedelta(days=3)),
        ),
        filed={"EBP1": date(2026, 11, 1), "PAY1": date(2020, 1, 1)},
    )
    values = History(externals).add(facts(1, payer=payer))
    assert values["platform_flags"] == 1.0
    assert values["consumer_flags"] == 0.0  # expired
    assert values["payment_flags"] == 2.0  # on the payer and on the payment company
    assert values["flag_score"] == 0.7
    assert (values["ebc_class"], values["ebp_class"]) == ("C", None)
    assert (values["ebp_age_days"], values["ebc_age_days"]) == (10.0, None)


def test_times_weights_and_fields() -> None:
    f = replace(facts(1, value="500"), order_time=DAY.astimezone(UTC) - timedelta(hours=2))
    values = History().add(f)
    assert values["order_to_payment_min"] == 103.0
    assert values["payment_to_waybill_min"] == 7.0
    assert values["order_to_list_min"] == 120.0
    assert values["order_hour"] == 7.0  # Beijing time
    assert values["weight_per_value"] == 4.0  # 2 kg per 500 CNY
    assert values["net_to_gross"] == pytest.approx(0.857143)
    fields = fields_of(f)
    assert fields["hs_chapters"] == ("19",)
    assert fields["taxable_value"] == 500.0
    assert fields["tax_total"] is None
