"""store keys: the check digest of the pseudonym key the store's blind indexes and risk
aggregates were made with, so that a process holding another key is refused at start
(instead of finding no buyer's annual quota)

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 04:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbec.store.models.base

# revision identifiers, used by Alembic.
revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "store_keys",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("check_digest", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", cbec.store.models.base.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_store_keys")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("store_keys")
