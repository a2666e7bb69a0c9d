"""signature keys and per-enterprise signature policy

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-27 20:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbec.store.models.base

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "signature_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("key_name", sa.String(length=64), nullable=False),
        sa.Column("algorithm", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("created_at", cbec.store.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", cbec.store.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprises.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("enterprise_id", "key_name"),
    )
    op.create_index(
        op.f("ix_signature_keys_enterprise_id"), "signature_keys", ["enterprise_id"], unique=False
    )
    with op.batch_alter_table("enterprises") as batch:
        batch.add_column(
            sa.Column("signature_policy", sa.String(length=8), server_default="off", nullable=False)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("enterprises") as batch:
        batch.drop_column("signature_policy")
    op.drop_index(op.f("ix_signature_keys_enterprise_id"), table_name="signature_keys")
    op.drop_table("signature_keys")
