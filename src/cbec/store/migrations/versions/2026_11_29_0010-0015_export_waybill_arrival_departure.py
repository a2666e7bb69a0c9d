"""export waybills, arrival reports and departures (CEB505 / CEB507 / CEB509)

Revision ID: 0015
Revises: 0012
Create Date: 2026-11-29 00:10:00

Export lists learn their waybill (logisticsCode, logisticsNo), what they still wait for,
and when their goods left; the waybills named by arrival reports and departures are kept
in ``export_movements``. Lists filed before this revision have no waybill recorded: those
still waiting are matched by their waybill only once they are sent again (appType 2).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbec.store.models.base

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "export_movements",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("logistics_code", sa.String(length=18), nullable=False),
        sa.Column("logistics_no", sa.String(length=60), nullable=False),
        sa.Column(
            "document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("operator_code", sa.String(length=18), nullable=True),
        sa.Column("bill_no", sa.String(length=37), nullable=True),
        sa.Column("at", cbec.store.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", cbec.store.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_export_movements_document_id_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_export_movements")),
    )
    op.create_index(
        "ix_export_movements_waybill",
        "export_movements",
        ["logistics_no", "logistics_code", "kind"],
        unique=False,
    )
    with op.batch_alter_table("export_lists") as batch:
        batch.add_column(sa.Column("logistics_code", sa.String(length=18), nullable=True))
        batch.add_column(sa.Column("logistics_no", sa.String(length=60), nullable=True))
        batch.add_column(
            sa.Column("waiting_for", sa.String(length=60), server_default="", nullable=False)
        )
        batch.add_column(
            sa.Column("exited_at", cbec.store.models.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_index(
        "ix_export_lists_waybill",
        "export_lists",
        ["logistics_no", "logistics_code"],
        unique=False,
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_export_lists_waybill", table_name="export_lists")
    with op.batch_alter_table("export_lists") as batch:
        batch.drop_column("exited_at")
        batch.drop_column("waiting_for")
        batch.drop_column("logistics_no")
        batch.drop_column("logistics_code")
    op.drop_index("ix_export_movements_waybill", table_name="export_movements")
    op.drop_table("export_movements")
