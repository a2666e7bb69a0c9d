"""The mapping of cbec's own per-declaration features, as ``cbec risk features --out``
writes them (:mod:`cbec.risk.history`): training on cbec's traffic is then one call,

    train_table(pl.read_csv("features.csv"), cbec.mapping())

or ``cbec risk train --data features.csv --mapping cbec --name cbec``.

Number and yes/no features are numeric, text features (enterprise classes) and the trade
mode, country and HS chapter categorical, and the enterprises risk-encoded (their seizure
rate on train). The label is ``seized`` by default; the tax computed is the revenue.
Lists that were never inspected count as not seized: the model learns what inspections
found, and the exploration share (:mod:`cbec.risk.learning.exploration`) keeps some of
them random so that this stays a fair sample.
"""

from __future__ import annotations

from cbec.risk.expressions import Kind
from cbec.risk.features import FEATURES
from cbec.risk.history import FIELD_COLUMNS
from cbec.risk.learning.mapping import ColumnMapping

#: Fields of the list that name an enterprise: too many values for a categorical.
ENTERPRISES = ("ebp_code", "ebc_code", "pay_code", "logistics_code")
#: Fields of the list with a few values each.
CATEGORIES = ("trade_mode", "country", "hs_chapter")


def mapping(label: str = "seized") -> ColumnMapping:
    """The column mapping of a ``cbec risk features`` table, labelled by ``label``."""
    numeric = [name for name, spec in FEATURES.items() if spec.kind in (Kind.NUMBER, Kind.BOOL)]
    numeric += [c for c in FIELD_COLUMNS if c not in ENTERPRISES and c not in CATEGORIES]
    text = [name for name, spec in FEATURES.items() if spec.kind is Kind.STRING]
    return ColumnMapping(
        id="invt_no",
        date="decl_date",
        label=label,
        revenue="tax_total",
        categorical=[*text, *CATEGORIES],
        risk_encoded=list(ENTERPRISES),
        numeric=numeric,
        date_parts=False,
        description="cbec's own per-declaration features (cbec risk features --out)",
    )
