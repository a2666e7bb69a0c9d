"""officer sign-in failures: failed sign-ins in a row per username, and until when
sign-ins under it are refused after too many (``CBEC_OFFICER_SIGNIN_ATTEMPTS``,
``CBEC_OFFICER_SIGNIN_LOCK_SECONDS``), kept in the store so that every API process and
every restart sees the same count

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 02:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbec.store.models.base

# revision identifiers, used by Alembic.
revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "officer_signin_failures",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", cbec.store.models.base.UTCDateTime(), nullable=True),
        sa.Column("locked_until", cbec.store.models.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_officer_signin_failures")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("officer_signin_failures")
