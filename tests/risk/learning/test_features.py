"""Feature engineering: learned on train only, out-of-fold for the training rows, applied
unchanged to later rows, one at a time or in batch."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import polars as pl
import pytest

from cbec.risk.learning.features import FeatureOptions, FeatureState, fit, normalise
from cbec.risk.learning.mapping import ColumnMapping
from cbec.risk.learning.table import prepare
from tests.risk.learning.factories import mapping, table


def _columns(frame: pl.DataFrame, m: ColumnMapping) -> dict[str, list[object]]:
    return normalise(prepare(frame, m), m).to_dict(as_series=False)


def test_the_names_follow_the_mapping() -> None:
    state, matrix = fit(_columns(table(300), mapping()), mapping())
    assert state.names == [
        "port",
        "importer (risk)",
        "importer (training rows)",
        "weight",
        "hs chapter (HS2)",
        "unit value (value / weight)",
        "unit value / HS median",
        "duty at stake (value x rate)",
        "day of week",
        "day of month",
    ]
    assert matrix.shape == (300, 10)
    assert state.categorical_indices == [0, 4]


def test_a_training_row_never_sees_its_own_label() -> None:
    m = ColumnMapping(id="no", date="day", label="y", risk_encoded=["who"], date_parts=False)
    rows = {
        "no": ["a", "b", "c"],
        "day": [dt.date(2026, 1, 1)] * 3,
        "y": [1, 0, 0],
        "who": ["alone", "pair", "pair"],
    }
    options = FeatureOptions(smoothing=1.0, folds=3, seed=0)
    state, matrix = fit(rows, m, options)
    prior = 1 / 3
    # "alone" appears once: out of fold, nothing is known of it but the prior
    assert matrix[0, 0] == pytest.approx(prior)
    # a new row of "alone" gets its full training rate: (1 + 1 x prior) / (1 + 1)
    new = state.transform({**rows, "who": ["alone"], "day": [dt.date(2026, 2, 1)]})
    assert new[0, 0] == pytest.approx((1 + prior) / 2)
    assert new[0, 1] == 1  # training rows of "alone"


def test_rare_and_unknown_categories_are_missing() -> None:
    m = ColumnMapping(id="no", date="day", label="y", categorical=["port"], date_parts=False)
    day = dt.date(2026, 1, 1)
    rows = {"no": list("abcdefg"), "day": [day] * 7, "y": [0, 1] * 3 + [0]}
    rows["port"] = ["A"] * 5 + ["B", None]
    state, matrix = fit(rows, m, FeatureOptions(min_category_rows=5))
    assert matrix[:5, 0].tolist() == [0] * 5
    assert math.isnan(matrix[5, 0])
    assert math.isnan(matrix[6, 0])
    later = state.transform({"port": ["Z", "A"], "day": [day, day]})
    assert math.isnan(later[0, 0])
    assert later[1, 0] == 0


def test_unit_value_against_the_hs_median_falls_back_to_the_heading() -> None:
    m = ColumnMapping(
        id="no", date="day", label="y", hs_code="hs", price="p", quantity="q", date_parts=False
    )
    day = dt.date(2026, 1, 1)
    rows = {
        "no": list("abcdef"),
        "day": [day] * 6,
        "y": [0, 1, 0, 1, 0, 0],
        "hs": ["330499", "330499", "330499", "330410", "330410", "330410"],
        "p": [10.0, 20.0, 30.0, 4.0, 5.0, 6.0],
        "q": [1.0] * 6,
    }
    state, _ = fit(rows, m, FeatureOptions(min_hs_rows=3))
    assert state.hs_medians[6] == {"330410": 5.0, "330499": 20.0}
    assert state.hs_medians[4] == {"3304": 8.0}  # median of 4, 5, 6, 10, 20, 30
    later = state.transform(
        {
            "hs": ["330499", "330420", None],
            "p": [40.0, 4.0, 1.0],
            "q": [2.0, 1.0, 0.0],
            "day": [day] * 3,
        }
    )
    ratio = state.names.index("unit value / HS median")
    assert later[0, ratio] == pytest.approx(1.0)  # 40 / 2 against 20
    assert later[1, ratio] == pytest.approx(0.5)  # unseen HS6: its heading's 8
    assert math.isnan(later[2, ratio])  # no quantity, no HS code


def test_hs_codes_read_as_numbers_get_their_leading_zero_back() -> None:
    m = mapping()
    frame = prepare(table(3).with_columns(pl.Series("hs", ["10121", "330499", "90111.0"])), m)
    assert normalise(frame, m)["hs"].to_list() == ["010121", "330499", "090111"]


def test_one_row_scores_as_in_batch_and_the_state_survives_json() -> None:
    m = mapping()
    columns = _columns(table(400), m)
    state, _ = fit(columns, m)
    batch = state.transform(columns)
    again = FeatureState.from_json(json.loads(json.dumps(state.to_json())))
    for i in (0, 17, 399):
        one = {k: [v[i]] for k, v in columns.items()}
        np.testing.assert_array_equal(again.transform(one)[0], batch[i])
