"""Plugging the identity graph into intake (done by the assembly: ``cbec.assembly`` and
``cbec.cli``): every accepted order goes into the graph as it arrives. (Decided lists reach
it through risk control's observers.)"""

from __future__ import annotations

from cbec.intake import pipeline
from cbec.network.graph import DocumentObserver


def connect() -> None:
    """For this process (the CLI): every intake run adds its accepted orders to the graph."""
    pipeline.register("network-orders", DocumentObserver)
