"""Training on cbec's own features (``cbec risk features --out``) is one call."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from cbec.risk.history import columns
from cbec.risk.learning import cbec
from cbec.risk.learning.service import train_table
from tests.risk.learning.factories import QUICK, run


def features_table(rows: int = 900, seed: int = 5) -> pl.DataFrame:
    """What ``cbec risk features --out x.csv`` writes, read back by polars: every column,
    seizures likelier when the unit price is far under the usual one."""
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    for name in columns():
        data[name] = rng.uniform(0, 10, rows).round(2)
    ratio = rng.uniform(0.05, 2, rows)
    days = sorted(
        dt.date(2026, 11, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 60, rows)
    )
    data.update(
        {
            "declaration_id": np.arange(rows),
            "invt_no": [f"I{i:06d}" for i in range(rows)],
            "decl_date": [d.isoformat() for d in days],
            "status": ["released"] * rows,
            "hs_chapter": rng.choice(["33", "19", "61"], rows),
            "trade_mode": rng.choice(["9610", "1210"], rows),
            "country": rng.choice(["JP", "KR", "US"], rows),
            "ebc_class": rng.choice(["A", "B", "C", ""], rows),
            "ebp_class": rng.choice(["A", "B"], rows),
            "ebc_code": [f"44019{n:05d}" for n in rng.integers(0, 30, rows)],
            "ebp_code": ["4401960001"] * rows,
            "pay_code": ["4401960003"] * rows,
            "logistics_code": ["4401960004"] * rows,
            "first_seen_consignee": rng.choice(["True", "False"], rows),
            "payer_not_buyer": rng.choice(["True", "False"], rows),
            "unit_price_ratio": ratio.round(3),
            "seized": np.where(
                rng.uniform(size=rows) < np.where(ratio < 0.4, 0.7, 0.08), "True", "False"
            ),
        }
    )
    return pl.DataFrame(data).cast(pl.String)


def test_train_on_cbec_features_in_one_call() -> None:
    run = train_table(features_table(), cbec.mapping(), options=QUICK)
    assert run.test is not None
    at_10 = {a.share: a for a in run.test.model}[0.10]
    random_10 = {a.share: a for a in run.test.random}[0.10]
    assert at_10.precision > random_10.precision
    assert at_10.revenue is not None  # the tax computed is the revenue
    assert "ebc_code (risk)" in run.model.state.names


def test_the_cli_knows_the_cbec_mapping_by_name(tmp_path: Path) -> None:
    features_table().write_csv(tmp_path / "features.csv")
    result = run(
        "train", "--data", str(tmp_path / "features.csv"), "--mapping", "cbec",
        "--name", "cbec", "--models-dir", str(tmp_path / "models"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "saved cbec version 1" in result.output
