"""the identity and transaction graph, and the networks found in it

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 23:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cbec.store.models.base

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _moment(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, cbec.store.models.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "network_nodes",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("subject", sa.String(length=60), nullable=False),
        sa.Column("province", sa.String(length=2), nullable=False),
        sa.Column("area", sa.String(length=6), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        _moment("first_seen"),
        _moment("last_seen"),
        sa.Column("lists", sa.BigInteger(), nullable=False),
        sa.Column("cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_network_nodes")),
    )
    op.create_index("ix_network_nodes_kind", "network_nodes", ["kind"], unique=False)
    op.create_table(
        "network_edges",
        sa.Column("a", sa.String(length=40), nullable=False),
        sa.Column("b", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        _moment("first_seen"),
        _moment("last_seen"),
        sa.Column("weight", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("a", "b", "kind", name=op.f("pk_network_edges")),
    )
    op.create_index("ix_network_edges_b", "network_edges", ["b"], unique=False)
    op.create_table(
        "network_runs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        _moment("started_at"),
        sa.Column("nodes", sa.BigInteger(), nullable=False),
        sa.Column("edges", sa.BigInteger(), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("networks", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_runs")),
    )
    op.create_table(
        "network_networks",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("hub", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("addresses", sa.Integer(), nullable=False),
        sa.Column("phones", sa.Integer(), nullable=False),
        sa.Column("provinces", sa.Integer(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("members", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_networks")),
    )
    op.create_index(
        "ix_network_networks_run", "network_networks", ["run_id", "score"], unique=False
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_network_networks_run", table_name="network_networks")
    op.drop_table("network_networks")
    op.drop_table("network_runs")
    op.drop_index("ix_network_edges_b", table_name="network_edges")
    op.drop_table("network_edges")
    op.drop_index("ix_network_nodes_kind", table_name="network_nodes")
    op.drop_table("network_nodes")
