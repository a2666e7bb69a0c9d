"""The learned risk model: LightGBM over tabular declarations, trained and judged by a
time-based split, saved as versioned artefacts, and the public KCS benchmark.

Entry points: :func:`cbec.risk.learning.service.train_table` and
:func:`~cbec.risk.learning.service.evaluate_table` (any polars DataFrame + a
:class:`~cbec.risk.learning.mapping.ColumnMapping`), :mod:`~cbec.risk.learning.artefact`
(save and load), :func:`~cbec.risk.learning.exploration.select` (inspection with an
exploration share) and :mod:`~cbec.risk.learning.kcs` (the benchmark).
"""
