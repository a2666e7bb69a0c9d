"""What intake hands accepted documents to, assembled once for every way in: the API
(``cbec.api``), the queue workers (``cbec.queue``) and the command line (``cbec.cli``).

Clearance asks risk control for a verdict on every list (and the identity graph observes
every assessed list); consumers get identity-use notices; bonded entries and 1210 lists
move warehouse stock; export documents go to exports. A seizure opens a case.
"""

from __future__ import annotations

import logging

from cbec.clearance import wiring
from cbec.config import Settings, tune_gc
from cbec.consumer import wiring as consumer_wiring
from cbec.export import wiring as export_wiring
from cbec.intake import pipeline
from cbec.intake.pipeline import ListenerFactory
from cbec.network import graph as network_graph
from cbec.privacy import split_keys, use_pii_keys
from cbec.risk import wiring as risk_wiring
from cbec.risk.features import use_pseudonym_key
from cbec.warehouse import wiring as warehouse_wiring

log = logging.getLogger("cbec")


def configure(settings: Settings) -> None:
    """Process-wide settings every way in shares: the key of the pseudonyms that stand for
    identities in the risk aggregates, the identity graph and the blind indexes, the keys
    that encrypt personal data at rest, and the garbage collector's thresholds."""
    tune_gc()
    if settings.pseudonym_key == Settings.model_fields["pseudonym_key"].default and not (
        settings.database_url.startswith("sqlite")
    ):
        log.warning(
            "CBEC_PSEUDONYM_KEY is the development default: set a secret of your own, or "
            "anyone can tell whose ID number a pseudonym stands for"
        )
    use_pseudonym_key(settings.pseudonym_key)
    if settings.pii_key == Settings.model_fields["pii_key"].default and not (
        settings.database_url.startswith("sqlite")
    ):
        log.warning(
            "CBEC_PII_KEY is the development default: set a secret of your own, or anyone "
            "can decrypt the personal data in the store"
        )
    use_pii_keys(settings.pii_key, split_keys(settings.pii_old_keys))


def named_listeners(settings: Settings) -> dict[str, ListenerFactory]:
    """The listener factories of one process by name, in the order they are called."""
    return {
        "network-orders": network_graph.DocumentObserver,  # orders, payments, waybills
        "clearance": wiring.listener_factory(
            settings,
            assessor=risk_wiring.assessor_factory(settings, observers=(network_graph.Observer,)),
        ),
        "consumer-notices": consumer_wiring.listener_factory(),  # identity-use notices
        # Bonded entries (CEB711) book stock; 1210 lists reserve and move it.
        "warehouse": warehouse_wiring.listener_factory(),
        "export": export_wiring.listener_factory(),  # export lists
    }


def intake_listeners(settings: Settings) -> list[ListenerFactory]:
    """The listener factories of one process, in the order they are called."""
    return list(named_listeners(settings).values())


def connect(settings: Settings) -> None:
    """For this process (the CLI): the pseudonyms' key, every intake run hands what it
    accepted to the listeners (registered by name, so one can be taken out), and the hooks."""
    configure(settings)
    for name, factory in named_listeners(settings).items():
        pipeline.register(name, factory)
    install_hooks()


def install_hooks() -> None:
    """Process-wide clearance hooks: a seizure opens a case; 1210 lists move bonded stock."""
    risk_wiring.install()
    warehouse_wiring.install()
