"""receipts paged in commit order: a place (seq) each transaction gives its receipts just
before it commits, under a lock held through the commit, and the writing transaction's id

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 01:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("receipts") as batch:
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column(
                "tx",
                sa.BigInteger(),
                nullable=True,
                server_default=sa.text("txid_current()") if postgres else None,
            )
        )
    # Receipts already there keep their place (and the cursors enterprises hold stay valid).
    op.execute("UPDATE receipts SET seq = id")
    op.create_index("ix_receipts_recipient_seq", "receipts", ["recipient_code", "seq"])
    op.create_index("ix_receipts_tx", "receipts", ["tx"])
    if postgres:
        op.execute("CREATE SEQUENCE receipts_seq")
        op.execute(
            "SELECT setval('receipts_seq', (SELECT COALESCE(MAX(id), 0) + 1 FROM receipts), false)"
        )


def downgrade() -> None:
    """Downgrade schema."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE receipts_seq")
    op.drop_index("ix_receipts_tx", table_name="receipts")
    op.drop_index("ix_receipts_recipient_seq", table_name="receipts")
    with op.batch_alter_table("receipts") as batch:
        batch.drop_column("tx")
        batch.drop_column("seq")
