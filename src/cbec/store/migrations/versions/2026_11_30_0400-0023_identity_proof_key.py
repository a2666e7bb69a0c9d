"""identity proof key: every list keeps the blind index of its buyer's ID number, name and
phone (``declarations.buyer_proof_key``), so that a consumer proves who they are by one
indexed lookup of a list with the same, instead of reading the bodies of the ID number's
500 newest lists (an older list could not prove)

Filled here from each list's message, opened with the process's keys as 0018 and 0020 do
(``CBEC_PII_KEY`` for the bodies, ``CBEC_PSEUDONYM_KEY`` for the index). A list whose
personal data was purged, or whose message was erased, gets none (it proved no one).

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 04:00:00

"""

import json
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from cbec.privacy import is_sealed, pseudonym, unseal

# revision identifiers, used by Alembic.
revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: rows read per statement
BATCH = 1000


def _key(id_number: str, name: str, phone: str) -> str:
    """``cbec.privacy.proof_key`` as of this revision (frozen here: a later change of the
    key comes with a migration of its own)."""
    return pseudonym(
        "identity-proof", json.dumps([id_number.strip().upper(), name, phone], ensure_ascii=False)
    )


def _head(body: str | None) -> dict[str, Any]:
    if not body:
        return {}
    loaded = json.loads(unseal(body) if is_sealed(body) else body)
    if not isinstance(loaded, dict):
        return {}
    head = (loaded.get("inventory") or {}).get("inventoryHead") or {}
    return head if isinstance(head, dict) else {}


def _lists() -> Iterator[list[Any]]:
    """(id, list body) of every list whose personal data is kept, by id, in pages."""
    bind = op.get_bind()
    after = 0
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT d.id, m.body FROM declarations d "
                "JOIN documents doc ON doc.id = d.document_id "
                "JOIN inbound_messages m ON m.id = doc.message_id "
                "WHERE d.buyer_key != '' AND d.pii_purged_at IS NULL "
                "AND m.pii_purged_at IS NULL "
                f"AND d.id > :after ORDER BY d.id LIMIT {BATCH}"
            ),
            {"after": after},
        ).all()
        if not rows:
            return
        yield list(rows)
        after = rows[-1][0]


def upgrade() -> None:
    op.add_column(
        "declarations",
        sa.Column("buyer_proof_key", sa.String(length=24), nullable=False, server_default=""),
    )
    bind = op.get_bind()
    for page in _lists():
        keys = []
        for list_id, body in page:
            head = _head(body)
            id_number, name, phone = (
                head.get("buyerIdNumber"),
                head.get("buyerName"),
                head.get("buyerTelephone"),
            )
            if id_number and name is not None and phone is not None:
                keys.append({"k": list_id, "v": _key(id_number, name, phone)})
        if keys:
            bind.execute(
                sa.text("UPDATE declarations SET buyer_proof_key = :v WHERE id = :k"), keys
            )
    if bind.dialect.name == "postgresql":
        op.alter_column("declarations", "buyer_proof_key", server_default=None)
    op.create_index(
        "ix_declarations_buyer_proof", "declarations", ["buyer_proof_key"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_declarations_buyer_proof", table_name="declarations")
    op.drop_column("declarations", "buyer_proof_key")
