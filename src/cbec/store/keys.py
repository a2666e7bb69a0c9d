"""The store remembers which pseudonym key made its blind indexes and risk aggregates.

Buyers' annual quota, consumer disputes and notices are found by the blind index of an ID
number, and the risk aggregates and the identity graph are keyed by pseudonyms: all keyed
hashes under ``CBEC_PSEUDONYM_KEY``. A process holding another key finds none of them, so
every buyer's annual quota would silently start again from zero. The first process to
open a store records the check digest of its key (:func:`cbec.privacy.pseudonym_key_check`);
a process with another key is refused, naming the setting, before it reads or writes.
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect, select

from cbec.errors import Conflict, FieldError
from cbec.privacy import pseudonym_key_check
from cbec.store.bulk import insert_for
from cbec.store.models.base import utcnow
from cbec.store.models.keys import StoreKey

PSEUDONYM = "pseudonym"


class KeyMismatch(Conflict):
    """This process holds another key than the one the store's data was made with."""


def check_pseudonym_key(connection: Connection) -> None:
    """Record this process's pseudonym key check on a store that has none; refuse a
    process whose key is not the one recorded (:class:`KeyMismatch`)."""
    if not inspect(connection).has_table(StoreKey.__tablename__):
        return  # a store migrated to a revision before the table: nothing to compare
    mine = pseudonym_key_check()
    # Two processes starting at once: one records, the other reads what it recorded.
    values = {"name": PSEUDONYM, "check_digest": mine, "recorded_at": utcnow()}
    connection.execute(
        insert_for(connection.dialect.name)(StoreKey).values(values).on_conflict_do_nothing()
    )
    recorded = connection.execute(
        select(StoreKey.check_digest).where(StoreKey.name == PSEUDONYM)
    ).scalar_one()
    if recorded != mine:
        raise KeyMismatch(
            "CBEC_PSEUDONYM_KEY is not the key this store was made with",
            fields=[
                FieldError(
                    "CBEC_PSEUDONYM_KEY",
                    "pseudonym-key.same",
                    "not the key this store's blind indexes and risk aggregates were made "
                    "with: every buyer's annual quota would start again from zero and the "
                    "risk history would be lost; set the key the store was made with",
                )
            ],
        )
