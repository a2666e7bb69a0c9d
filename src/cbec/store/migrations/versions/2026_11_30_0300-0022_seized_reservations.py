"""seized reservations: the stock a seizure (502) took from a 1210 list's reservation is
marked ``seized`` instead of ``consumed``, so that a cancellation or return of the list, if
anti-smuggling later releases it, puts back only what left with a release (nothing), not
the seized goods

A reservation still ``consumed`` whose list was ever seized (an event to 502) was consumed
by that seizure: a list is reserved on approval (399), before any inspection, and a release
after a seizure found nothing open to move out.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 03:00:00

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: receipt status of a list detained and passed to anti-smuggling (a seizure)
SEIZED = 502


def upgrade() -> None:
    op.execute(
        "UPDATE stock_reservations SET status = 'seized' "
        "WHERE status = 'consumed' AND EXISTS ("
        "SELECT 1 FROM declaration_events e "
        "WHERE e.declaration_id = stock_reservations.declaration_id "
        f"AND e.to_status = {SEIZED})"
    )


def downgrade() -> None:
    op.execute("UPDATE stock_reservations SET status = 'consumed' WHERE status = 'seized'")
