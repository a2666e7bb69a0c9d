"""merge: the identity graph (0008), portraits (0009), warehouses and exports (0010) and
consumer disputes and notices (0011), built side by side from 0007

Revision ID: 0012
Revises: 0008, 0009, 0010, 0011
Create Date: 2026-11-28 23:59:00

"""

from collections.abc import Sequence

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = ("0008", "0009", "0010", "0011")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to do: every branch is applied."""


def downgrade() -> None:
    """Nothing to do."""
