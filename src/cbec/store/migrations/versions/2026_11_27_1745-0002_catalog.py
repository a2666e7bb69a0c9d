"""catalog: editions, positive list, HS codes, policy parameters

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 17:45:00

Decimal columns are NUMERIC on PostgreSQL and exact decimal text on SQLite (see
cbec.store.models.catalog.ExactDecimal).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbec.store.models.base

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _decimal(precision: int, scale: int) -> sa.types.TypeEngine[object]:
    return sa.Numeric(precision, scale).with_variant(sa.String(length=40), "sqlite")


def _big_pk() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "catalog_editions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("loaded_at", cbec.store.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_editions")),
        sa.UniqueConstraint("kind", "name", name=op.f("uq_catalog_editions_kind_name")),
    )
    op.create_table(
        "positive_list",
        sa.Column("id", _big_pk(), autoincrement=True, nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("tariff_code8", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("remark", sa.Text(), nullable=False),
        sa.Column("bonded_only", sa.Boolean(), nullable=False),
        sa.Column("direct_only", sa.Boolean(), nullable=False),
        sa.Column("annual_weight_cap_kg", _decimal(12, 3), nullable=True),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["catalog_editions.id"],
            name=op.f("fk_positive_list_edition_id_catalog_editions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positive_list")),
        sa.UniqueConstraint(
            "edition_id", "tariff_code8", name=op.f("uq_positive_list_edition_id_tariff_code8")
        ),
    )
    with op.batch_alter_table("positive_list", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_positive_list_edition_id"), ["edition_id"], unique=False
        )

    op.create_table(
        "hs_codes",
        sa.Column("id", _big_pk(), autoincrement=True, nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("code10", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("legal_unit", sa.String(length=3), nullable=False),
        sa.Column("second_unit", sa.String(length=3), nullable=True),
        sa.Column("vat_rate", _decimal(9, 6), nullable=False),
        sa.Column("consumption_rate", _decimal(9, 6), nullable=False),
        sa.Column("consumption_specific", _decimal(12, 6), nullable=True),
        sa.Column("consumption_specific_unit", sa.String(length=3), nullable=True),
        sa.Column("consumption_threshold", _decimal(12, 2), nullable=True),
        sa.Column("consumption_threshold_unit", sa.String(length=3), nullable=True),
        sa.Column("tariff_rate", _decimal(9, 6), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("remark", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["catalog_editions.id"],
            name=op.f("fk_hs_codes_edition_id_catalog_editions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hs_codes")),
        sa.UniqueConstraint(
            "edition_id",
            "code10",
            "effective_from",
            name=op.f("uq_hs_codes_edition_id_code10_effective_from"),
        ),
    )
    with op.batch_alter_table("hs_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hs_codes_edition_id"), ["edition_id"], unique=False)

    op.create_table(
        "policy_parameters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", _decimal(19, 5), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("remark", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["catalog_editions.id"],
            name=op.f("fk_policy_parameters_edition_id_catalog_editions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_parameters")),
        sa.UniqueConstraint(
            "edition_id",
            "name",
            "effective_from",
            name=op.f("uq_policy_parameters_edition_id_name_effective_from"),
        ),
    )
    with op.batch_alter_table("policy_parameters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_policy_parameters_edition_id"), ["edition_id"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("policy_parameters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_parameters_edition_id"))
    op.drop_table("policy_parameters")
    with op.batch_alter_table("hs_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hs_codes_edition_id"))
    op.drop_table("hs_codes")
    with op.batch_alter_table("positive_list", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_positive_list_edition_id"))
    op.drop_table("positive_list")
    op.drop_table("catalog_editions")
