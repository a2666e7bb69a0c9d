"""Small labelled tables for the learning tests: a known signal, dates over a few months."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import typer
from typer.testing import CliRunner, Result

from cbec.risk.learning.commands import register
from cbec.risk.learning.mapping import ColumnMapping
from cbec.risk.learning.model import TrainingOptions

#: A slice of the KCS data (2,000 / 500 / 500 rows of train / valid / test, MIT, see LICENSE).
KCS_SLICE = Path(__file__).parent / "data"

#: Quick settings: tens of rounds, one thread.
QUICK = TrainingOptions(max_rounds=60, early_stopping=15, learning_rate=0.2, threads=1)


def mapping(**changes: object) -> ColumnMapping:
    """The mapping of :func:`table`."""
    base: dict[str, object] = {
        "id": "no",
        "date": "day",
        "label": "seized",
        "revenue": "duty",
        "categorical": ["port"],
        "risk_encoded": ["importer"],
        "numeric": ["weight"],
        "hs_code": "hs",
        "price": "value",
        "quantity": "weight",
        "tax_rate": "rate",
        "rule_score": "rules",
    }
    return ColumnMapping.model_validate({**base, **changes})


def table(rows: int = 1200, seed: int = 7) -> pl.DataFrame:
    """Declarations over 90 days from 2026-01-01. Fraud is likelier at port ``P3``, for
    importers ``I0``..``I4``, and when the unit value is low; ``rules`` sees the port only."""
    rng = np.random.default_rng(seed)
    port = rng.choice(["P1", "P2", "P3", "P4"], rows)
    importer = np.array([f"I{i}" for i in rng.integers(0, 40, rows)])
    hs = rng.choice(["330499", "330410", "610910", "851712"], rows)
    weight = rng.uniform(0.5, 20, rows).round(2)
    unit = rng.lognormal(3, 0.6, rows)
    value = (weight * unit).round(2)
    logit = (
        -2.2
        + 1.6 * (port == "P3")
        + 1.4 * np.isin(importer, ["I0", "I1", "I2", "I3", "I4"])
        - 1.2 * (unit - 20) / 15
    )
    seized = (rng.uniform(size=rows) < 1 / (1 + np.exp(-logit))).astype(int)
    start = dt.date(2026, 1, 1)
    days = sorted(start + dt.timedelta(days=int(d)) for d in rng.integers(0, 90, rows))
    return pl.DataFrame(
        {
            "no": [f"D{i:05d}" for i in range(rows)],
            "day": [d.isoformat() for d in days],
            "port": port,
            "importer": importer,
            "hs": hs,
            "weight": weight,
            "value": value,
            "rate": rng.choice([0.0, 9.1, 23.1], rows),
            "duty": (value * 0.091).round(2),
            "rules": (port == "P3").astype(float),
            "seized": seized,
        }
    )


runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _risk() -> None:
        """Stands for ``cbec risk``."""

    return app


APP = _app()


def run(*args: str) -> Result:
    """``cbec risk <args>`` (the learning commands on an app of their own)."""
    return runner.invoke(APP, list(args), env={"COLUMNS": "160"})
