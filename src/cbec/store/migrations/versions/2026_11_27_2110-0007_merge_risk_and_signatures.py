"""merge: risk control (0005) and signature keys (0006), built side by side from 0004

Revision ID: 0007
Revises: 0005, 0006
Create Date: 2026-11-27 21:10:00

"""

from collections.abc import Sequence

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = ("0005", "0006")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to do: both branches are applied."""


def downgrade() -> None:
    """Nothing to do."""
