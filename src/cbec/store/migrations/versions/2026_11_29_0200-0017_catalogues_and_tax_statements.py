"""product catalogues filed by platforms and e-commerce enterprises (replacing the HS prefixes
an officer's goods check listed), periodic tax statements per guarantee and their payments

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 02:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbec.store.models.base

# revision identifiers, used by Alembic.
revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = cbec.store.models.base.UTCDateTime
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = sa.Numeric(precision=19, scale=5)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "catalogue_items",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("enterprise_code", sa.String(length=18), nullable=False),
        sa.Column("item_no", sa.String(length=60), nullable=False),
        sa.Column("goods_name", sa.String(length=250), nullable=False),
        sa.Column("hs_code", sa.String(length=10), nullable=False),
        sa.Column("brand", sa.String(length=100), nullable=False),
        sa.Column("spec", sa.String(length=255), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_items")),
        sa.UniqueConstraint(
            "enterprise_code", "item_no", name=op.f("uq_catalogue_items_enterprise_code_item_no")
        ),
    )
    op.create_table(
        "tax_statements",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("guarantor_code", sa.String(length=18), nullable=False),
        sa.Column("period", sa.String(length=6), nullable=False),
        sa.Column("bills", sa.Integer(), nullable=False),
        sa.Column("customs_tax", MONEY, nullable=False),
        sa.Column("value_added_tax", MONEY, nullable=False),
        sa.Column("consumption_tax", MONEY, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("paid", MONEY, nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_statements")),
        sa.UniqueConstraint(
            "guarantor_code", "period", name=op.f("uq_tax_statements_guarantor_code_period")
        ),
    )
    op.create_index("ix_tax_statements_due", "tax_statements", ["due_on", "paid_on"])
    op.create_table(
        "tax_payments",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("statement_id", BIGINT_PK, nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_at", UTC(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["tax_statements.id"],
            name=op.f("fk_tax_payments_statement_id_tax_statements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tax_payments")),
    )
    op.create_index("ix_tax_payments_statement", "tax_payments", ["statement_id", "paid_on"])
    # The HS prefixes a goods check listed stood in for the catalogue; the catalogue is filed now.
    with op.batch_alter_table("portrait_platform_checks") as batch:
        batch.drop_column("goods_hs")


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("portrait_platform_checks") as batch:
        batch.add_column(sa.Column("goods_hs", sa.Text(), nullable=False, server_default="[]"))
    op.drop_index("ix_tax_payments_statement", table_name="tax_payments")
    op.drop_table("tax_payments")
    op.drop_index("ix_tax_statements_due", table_name="tax_statements")
    op.drop_table("tax_statements")
    op.drop_table("catalogue_items")
