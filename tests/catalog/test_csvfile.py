"""Reading catalogue CSVs: good files load, each bad cell is named by line and column."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from cbec.catalog.csvfile import MAX_PROBLEMS, CatalogFileInvalid, parse_csv
from cbec.catalog.schemas import HsCodeRow, PolicyRow, PositiveListRow
from cbec.catalog.service import SHIPPED, shipped_data
from tests.catalog.factories import hs_codes, policy, positive_list


def problems(kind: str, data: bytes) -> list[str]:
    with pytest.raises(CatalogFileInvalid) as caught:
        parse_csv(kind, data)  # type: ignore[arg-type]
    return [str(f) for f in caught.value.fields]


def test_shipped_files_are_valid() -> None:
    for item in SHIPPED:
        assert parse_csv(item.kind, shipped_data(item.file))


def test_positive_list_rows() -> None:
    rows = parse_csv(
        "positive-list",
        positive_list(
            "33049900,其他美容品或化妆品及护肤品,,false,false,",
            '10063010,长粒米精米,"per person, 20 kg a year",no,N,20',
            "01234567,bonded thing,,TRUE,,",
        ),
    )
    assert rows == [
        PositiveListRow(line=2, tariff_code8="33049900", name="其他美容品或化妆品及护肤品"),
        PositiveListRow(
            line=3,
            tariff_code8="10063010",
            name="长粒米精米",
            remark="per person, 20 kg a year",
            annual_weight_cap_kg=Decimal("20"),
        ),
        PositiveListRow(line=4, tariff_code8="01234567", name="bonded thing", bonded_only=True),
    ]


def test_columns_in_any_order_optional_ones_left_out_and_a_bom() -> None:
    data = "\ufeffname,tariff_code8\n天然蜂蜜,04090000\n\n".encode()
    assert parse_csv("positive-list", data) == [
        PositiveListRow(line=2, tariff_code8="04090000", name="天然蜂蜜")
    ]


def test_hs_rows_with_specific_tax_and_own_dates() -> None:
    header = (
        "code10,name,legal_unit,second_unit,vat_rate,consumption_rate,consumption_specific,"
        "consumption_specific_unit,tariff_rate,effective_from,effective_to"
    )
    data = f"{header}\n2208300000,威士忌酒,095,035,0.13,0.20,1.00,035,0.10,2024-01-01,\n".encode()
    (row,) = parse_csv("hs-codes", data)
    assert isinstance(row, HsCodeRow)
    assert (row.consumption_specific, row.consumption_specific_unit) == (Decimal("1.00"), "035")
    assert row.effective_from is not None
    assert row.effective_from.isoformat() == "2024-01-01"


def test_policy_rows() -> None:
    (row,) = parse_csv("policy", policy("per_order_limit,5000,2019-01-01,,"))
    assert row == PolicyRow(
        line=2, name="per_order_limit", value=Decimal(5000), effective_from=date(2019, 1, 1)
    )


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        (
            "positive-list",
            positive_list("3304990,short code,,,,"),
            "line 2, column tariff_code8: must be 8 digits, got '3304990' [code8]",
        ),
        (
            "positive-list",
            positive_list("33049900,x,,maybe,,"),
            "line 2, column bonded_only: must be true or false, got 'maybe' [boolean]",
        ),
        (
            "positive-list",
            positive_list("33049900,x,,,,-2"),
            "line 2, column annual_weight_cap_kg: must not be negative, got -2 [range]",
        ),
        (
            "positive-list",
            positive_list("33049900,x,,true,true,"),
            "line 2, column direct_only: a line cannot be both bonded_only and direct_only"
            " [conflict]",
        ),
        (
            "positive-list",
            positive_list("33049900,,,,,"),
            "line 2, column name: must not be empty [required]",
        ),
        (
            "positive-list",
            positive_list("33049900,x,,"),
            "line 2: 4 cells, the header has 6 [columns]",
        ),
        (
            "hs-codes",
            hs_codes("3304990099,cream,035,011,13%,0.15,0.01"),
            "line 2, column vat_rate: give a fraction, not a percentage ('13%') [decimal]",
        ),
        (
            "hs-codes",
            hs_codes("3304990099,cream,035,011,13,0.15,0.01"),
            "line 2, column vat_rate: must be a fraction below 1 (13% is 0.13), got 13 [range]",
        ),
        (
            "hs-codes",
            hs_codes("3304990099,cream,035,011,0.13,abc,0.01"),
            "line 2, column consumption_rate: not a decimal number: 'abc' [decimal]",
        ),
        (
            "hs-codes",
            hs_codes("3304990099,cream,KG,011,0.13,0.15,0.01"),
            "line 2, column legal_unit: not a known customs unit code: 'KG' (035 kg, 011 piece)"
            " [unit]",
        ),
        (
            "hs-codes",
            hs_codes("3304990099,cream,035,011,0.13,0.1234567,0.01"),
            "line 2, column consumption_rate: more than 6 decimal places: 0.1234567 [decimal]",
        ),
        (
            "hs-codes",
            hs_codes("3304990099,cream,035,011,0.13,NaN,0.01"),
            "line 2, column consumption_rate: not a decimal number: 'NaN' [decimal]",
        ),
        (
            "policy",
            policy("per_order_limit,5000,2019-13-01,,"),
            "line 2, column effective_from: must be a date YYYY-MM-DD, got '2019-13-01' [date]",
        ),
        (
            "policy",
            policy("per_order_limit,5000,20190101,,"),
            "line 2, column effective_from: must be a date YYYY-MM-DD, got '20190101' [date]",
        ),
        (
            "policy",
            policy("per_order_limit,5000,2019-01-01,2018-12-31,"),
            "line 2, column effective_to: before effective_from [dates]",
        ),
        (
            "policy",
            policy("Per Order,5000,2019-01-01,,"),
            "line 2, column name: must be a snake_case name of 2-40 characters, got 'Per Order'"
            " [name]",
        ),
        (
            "policy",
            policy("per_order_limit,,2019-01-01,,"),
            "line 2, column value: must not be empty [required]",
        ),
    ],
)
def test_each_bad_cell_is_named(kind: str, data: bytes, expected: str) -> None:
    assert problems(kind, data) == [expected]


def test_specific_tax_needs_its_unit() -> None:
    header = "code10,name,legal_unit,vat_rate,consumption_specific,tariff_rate"
    data = f"{header}\n2208300000,威士忌酒,095,0.13,1.00,0.10\n".encode()
    assert problems("hs-codes", data) == [
        "line 2, column consumption_specific_unit: consumption_specific and"
        " consumption_specific_unit go together [required]"
    ]


def test_every_bad_row_is_reported_with_its_own_line() -> None:
    found = problems(
        "positive-list",
        positive_list("04090000,honey,,,,", "0409,bad,,,,", "04090001,ok,,,,", "x,,,,,"),
    )
    assert found == [
        "line 3, column tariff_code8: must be 8 digits, got '0409' [code8]",
        "line 5, column tariff_code8: must be 8 digits, got 'x' [code8]",
        "line 5, column name: must not be empty [required]",
    ]


def test_line_numbers_count_quoted_newlines() -> None:
    data = positive_list('04090000,honey,"two\nlines",,,', "0409,bad,,,,")
    assert problems("positive-list", data) == [
        "line 4, column tariff_code8: must be 8 digits, got '0409' [code8]"
    ]


def test_duplicates() -> None:
    assert problems("positive-list", positive_list("04090000,a,,,,", "04090000,b,,,,")) == [
        "line 3, column tariff_code8: 04090000 is already on line 2 for the same dates [duplicate]"
    ]
    overlapping = policy(
        "per_order_limit,2000,2016-04-08,2019-01-01,", "per_order_limit,5000,2019-01-01,,"
    )
    assert problems("policy", overlapping) == [
        "line 3, column name: per_order_limit is already on line 2 for the same dates [duplicate]"
    ]
    successive = policy(
        "per_order_limit,2000,2016-04-08,2018-12-31,", "per_order_limit,5000,2019-01-01,,"
    )
    assert len(parse_csv("policy", successive)) == 2


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "line 1: no header line [header]"),
        (b"tariff_code8,name\n", "line 1: the file has a header but no rows [empty]"),
        (b"tariff_code8\n04090000\n", "line 1, column name: required column missing [header]"),
        (
            b"tariff_code8,name,colour\n04090000,x,red\n",
            "line 1, column colour: unknown column for a positive-list file [header]",
        ),
        (b"tariff_code8,name\n04090000,\xff\n", "line 2: not UTF-8 text [encoding]"),
    ],
)
def test_bad_files(data: bytes, expected: str) -> None:
    assert problems("positive-list", data) == [expected]


def test_a_hopeless_file_reports_a_bounded_number_of_problems() -> None:
    data = positive_list(*["bad,,,,,"] * 200)
    assert len(problems("positive-list", data)) == MAX_PROBLEMS
