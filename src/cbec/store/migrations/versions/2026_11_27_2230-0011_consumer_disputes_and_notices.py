"""consumer disputes ("not me"), notice opt-ins and notices; lists excluded from the quota

Revision ID: 0011
Revises: 0007
Create Date: 2026-11-27 22:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbec.store.models.base

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = cbec.store.models.base.UTCDateTime(timezone=True)
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Upgrade schema."""
    # A plain ADD COLUMN (SQLite has it): a batch copy of declarations would break the
    # views that read it.
    op.add_column(
        "declarations",
        sa.Column("quota_excluded", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table(
        "consumer_disputes",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("id_number", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("decided_at", UTC, nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("restored", sa.Numeric(precision=19, scale=5), nullable=True),
        sa.Column("flag_ids", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consumer_disputes")),
    )
    op.create_index(
        "ix_consumer_disputes_identity", "consumer_disputes", ["id_number", "id"], unique=False
    )
    op.create_index(
        "ix_consumer_disputes_status", "consumer_disputes", ["status", "id"], unique=False
    )
    op.create_table(
        "consumer_dispute_lists",
        sa.Column("dispute_id", BIGID, nullable=False),
        sa.Column("declaration_id", BIGID, nullable=False),
        sa.Column("invt_no", sa.String(length=18), nullable=False),
        sa.Column("ebp_code", sa.String(length=18), nullable=False),
        sa.Column("ebc_code", sa.String(length=18), nullable=False),
        sa.Column("value", sa.Numeric(precision=19, scale=5), nullable=True),
        sa.ForeignKeyConstraint(
            ["declaration_id"],
            ["declarations.id"],
            name=op.f("fk_consumer_dispute_lists_declaration_id_declarations"),
        ),
        sa.ForeignKeyConstraint(
            ["dispute_id"],
            ["consumer_disputes.id"],
            name=op.f("fk_consumer_dispute_lists_dispute_id_consumer_disputes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "dispute_id", "declaration_id", name=op.f("pk_consumer_dispute_lists")
        ),
    )
    op.create_index(
        "ix_consumer_dispute_lists_declaration",
        "consumer_dispute_lists",
        ["declaration_id"],
        unique=False,
    )
    op.create_table(
        "consumer_notice_subscriptions",
        sa.Column("id_number", sa.String(length=60), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("contact", sa.String(length=120), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id_number", name=op.f("pk_consumer_notice_subscriptions")),
    )
    op.create_table(
        "consumer_notices",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("id_number", sa.String(length=60), nullable=False),
        sa.Column("business_key", sa.String(length=255), nullable=False),
        sa.Column("order_no", sa.String(length=60), nullable=False),
        sa.Column("ebp_code", sa.String(length=18), nullable=False),
        sa.Column("ebp_name", sa.String(length=200), nullable=False),
        sa.Column("decl_date", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("contact", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consumer_notices")),
        sa.UniqueConstraint(
            "id_number", "business_key", name=op.f("uq_consumer_notices_id_number_business_key")
        ),
    )
    op.create_index(
        "ix_consumer_notices_status", "consumer_notices", ["status", "id"], unique=False
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_consumer_notices_status", table_name="consumer_notices")
    op.drop_table("consumer_notices")
    op.drop_table("consumer_notice_subscriptions")
    op.drop_index("ix_consumer_dispute_lists_declaration", table_name="consumer_dispute_lists")
    op.drop_table("consumer_dispute_lists")
    op.drop_index("ix_consumer_disputes_status", table_name="consumer_disputes")
    op.drop_index("ix_consumer_disputes_identity", table_name="consumer_disputes")
    op.drop_table("consumer_disputes")
    op.drop_column("declarations", "quota_excluded")
