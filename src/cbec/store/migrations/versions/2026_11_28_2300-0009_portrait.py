"""portrait: platform verification checks, re-rating proposals, class rates

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-28 23:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbec.store.models.base

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = cbec.store.models.base.UTCDateTime
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "portrait_platform_checks",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("platform_code", sa.String(length=10), nullable=False),
        sa.Column("check", sa.String(length=16), nullable=False),
        sa.Column("result", sa.String(length=12), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("officer", sa.String(length=64), nullable=False),
        sa.Column("reported_orders", sa.Integer(), nullable=True),
        sa.Column("period_from", sa.Date(), nullable=True),
        sa.Column("period_to", sa.Date(), nullable=True),
        sa.Column("goods_hs", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portrait_platform_checks")),
    )
    with op.batch_alter_table("portrait_platform_checks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_portrait_platform_checks_platform", ["platform_code", "id"], unique=False
        )

    op.create_table(
        "portrait_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("window_from", UTC(timezone=True), nullable=False),
        sa.Column("window_to", UTC(timezone=True), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", UTC(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portrait_ratings")),
    )

    op.create_table(
        "portrait_rating_items",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_code", sa.String(length=18), nullable=False),
        sa.Column("current_class", sa.String(length=8), nullable=True),
        sa.Column("proposed_class", sa.String(length=8), nullable=False),
        sa.Column("final_class", sa.String(length=8), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("portrait", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rating_id"],
            ["portrait_ratings.id"],
            name=op.f("fk_portrait_rating_items_rating_id_portrait_ratings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portrait_rating_items")),
    )
    with op.batch_alter_table("portrait_rating_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_portrait_rating_items_rating", ["rating_id", "enterprise_code"], unique=False
        )

    with op.batch_alter_table("risk_enterprise_classes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review_rate", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("xray_rate", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("open_rate", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("inspection_caps", sa.Text(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("risk_enterprise_classes", schema=None) as batch_op:
        batch_op.drop_column("inspection_caps")
        batch_op.drop_column("open_rate")
        batch_op.drop_column("xray_rate")
        batch_op.drop_column("review_rate")
    with op.batch_alter_table("portrait_rating_items", schema=None) as batch_op:
        batch_op.drop_index("ix_portrait_rating_items_rating")
    op.drop_table("portrait_rating_items")
    op.drop_table("portrait_ratings")
    with op.batch_alter_table("portrait_platform_checks", schema=None) as batch_op:
        batch_op.drop_index("ix_portrait_platform_checks_platform")
    op.drop_table("portrait_platform_checks")
