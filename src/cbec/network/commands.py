"""``cbec network ...``: the identity and transaction graph, consumer-end monitoring
detectors, smuggling networks, and the payment-company report."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Identity and transaction graph: detectors, networks, payment companies.",
    no_args_is_help=True,
)
