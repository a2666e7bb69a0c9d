"""personal data encrypted at rest and found through blind indexes: message bodies, dead
letters, the buyer's ID number of a list, disputes, opt-ins and notices; the annual quota
keyed by the blind index of the buyer's ID number

Rows already stored are converted here: sealed under the current key (``CBEC_PII_KEY``) and
indexed with the pseudonym key (``CBEC_PSEUDONYM_KEY``), as the process running the
migration is configured (``cbec db upgrade``, ``cbec serve``, the workers: all configure
their keys before they migrate).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-29 03:00:00

"""

import json
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op

import cbec.store.models.base
from cbec.privacy import (
    blind_id,
    is_sealed,
    mask_address,
    mask_id,
    mask_phone,
    province_of,
    pseudonym,
    seal,
    seal_bytes,
    unseal,
    unseal_bytes,
)


def normalise_address(value: str) -> str:
    """How the risk features wrote an address before 0020 (frozen here: this revision's
    pseudonyms are made as they were then; 0020 re-keys them)."""
    return "".join(ch for ch in value if not ch.isspace() and ch not in ",，.。-—#")


# revision identifiers, used by Alembic.
revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = cbec.store.models.base.UTCDateTime
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MONEY = sa.Numeric(precision=19, scale=5)
BLIND = sa.String(length=24)
#: rows converted per statement
BATCH = 1000


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _pages(table: str, columns: str, key: str = "id", only: str = "") -> Iterator[list[Any]]:
    """The rows of ``table`` (``key`` and ``columns``) in pages of ``BATCH``, by ``key``,
    of those where ``only`` holds (SQL)."""
    bind = op.get_bind()
    after: Any = None
    while True:
        conditions = [c for c in (only, "" if after is None else f"{key} > :after") if c]
        where = f"WHERE {' AND '.join(conditions)} " if conditions else ""
        rows = bind.execute(
            sa.text(f"SELECT {key}, {columns} FROM {table} {where}ORDER BY {key} LIMIT {BATCH}"),
            {} if after is None else {"after": after},
        ).all()
        if not rows:
            return
        yield list(rows)
        after = rows[-1][0]


def _update(table: str, sets: str, rows: list[dict[str, Any]], key: str = "id") -> None:
    if rows:
        op.get_bind().execute(sa.text(f"UPDATE {table} SET {sets} WHERE {key} = :k"), rows)


def _convert(table: str, column: str, change: Callable[[Any], Any]) -> None:
    """``column`` of every row of ``table`` replaced by ``change(value)``."""
    for page in _pages(table, column):
        _update(
            table, f"{column} = :v", [{"k": k, "v": change(v)} for k, v in page if v is not None]
        )


def _seal_text(value: str) -> str:
    return value if is_sealed(value) else seal(value)


def _seal_raw(value: Any) -> bytes:
    raw = bytes(value)
    return raw if raw[:2] == b"\xc0\xbe" else seal_bytes(raw)


def _add_filled(table: str, column: str, type_: Any) -> None:
    """A NOT NULL column added with an empty default (SQLite cannot add one without), to be
    filled at once; PostgreSQL then drops the default."""
    op.add_column(table, sa.Column(column, type_, nullable=False, server_default=""))


def _drop_default(table: str, column: str) -> None:
    if _postgres():
        op.alter_column(table, column, server_default=None)


def _copy_rows(table: str, rows: list[dict[str, Any]]) -> None:
    if rows and not _postgres():  # the SQLite driver takes no Decimal: NUMERIC keeps text
        rows = [{k: str(v) if isinstance(v, Decimal) else v for k, v in r.items()} for r in rows]
    if rows:
        columns = list(rows[0])
        names = ", ".join(columns)
        marks = ", ".join(f":{c}" for c in columns)
        op.get_bind().execute(sa.text(f"INSERT INTO {table} ({names}) VALUES ({marks})"), rows)


def _all(table: str) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in op.get_bind().execute(sa.text(f"SELECT * FROM {table}"))]


def _restart_ids(table: str) -> None:
    if _postgres():
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
        )


def _quota_table(key_column: str, key_type: Any) -> None:
    op.create_table(
        "quota_usage",
        sa.Column(key_column, key_type, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("used", MONEY, nullable=False),
        sa.Column("lists", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(key_column, "year", name=op.f("pk_quota_usage")),
    )


def _subscriptions_table(sealed: bool) -> None:
    columns = (
        [
            sa.Column("id_key", BLIND, nullable=False),
            sa.Column("id_number", sa.Text(), nullable=False),
            sa.Column("channel", sa.String(length=8), nullable=False),
            sa.Column("contact", sa.Text(), nullable=False),
        ]
        if sealed
        else [
            sa.Column("id_number", sa.String(length=60), nullable=False),
            sa.Column("channel", sa.String(length=8), nullable=False),
            sa.Column("contact", sa.String(length=120), nullable=False),
        ]
    )
    op.create_table(
        "consumer_notice_subscriptions",
        *columns,
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "id_key" if sealed else "id_number", name=op.f("pk_consumer_notice_subscriptions")
        ),
    )


def _notices_table(sealed: bool) -> None:
    identity = (
        [
            sa.Column("id_number", sa.Text(), nullable=False),
            sa.Column("id_key", BLIND, nullable=False),
        ]
        if sealed
        else [sa.Column("id_number", sa.String(length=60), nullable=False)]
    )
    unique = ["id_key", "business_key"] if sealed else ["id_number", "business_key"]
    op.create_table(
        "consumer_notices",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        *identity,
        sa.Column("business_key", sa.String(length=255), nullable=False),
        sa.Column("order_no", sa.String(length=60), nullable=False),
        sa.Column("ebp_code", sa.String(length=18), nullable=False),
        sa.Column("ebp_name", sa.String(length=200), nullable=False),
        sa.Column("decl_date", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("contact", sa.Text() if sealed else sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consumer_notices")),
        sa.UniqueConstraint(*unique, name=op.f(f"uq_consumer_notices_{unique[0]}_business_key")),
    )
    op.create_index(
        "ix_consumer_notices_status", "consumer_notices", ["status", "id"], unique=False
    )


def upgrade() -> None:
    """Upgrade schema."""
    # Message bodies and dead letters: same columns, their content sealed.
    op.add_column("inbound_messages", sa.Column("pii_purged_at", UTC(timezone=True), nullable=True))
    op.add_column("declarations", sa.Column("pii_purged_at", UTC(timezone=True), nullable=True))
    _convert("inbound_messages", "body", _seal_text)
    _convert("dead_letters", "raw", _seal_raw)

    # Lists: the ID number sealed, its blind index and province beside it.
    _add_filled("declarations", "buyer_id_sealed", sa.Text())
    _add_filled("declarations", "buyer_key", BLIND)
    _add_filled("declarations", "buyer_province", sa.String(length=2))
    for page in _pages("declarations", "buyer_id_number"):
        _update(
            "declarations",
            "buyer_id_sealed = :s, buyer_key = :b, buyer_province = :p",
            [{"k": k, "s": seal(v), "b": blind_id(v), "p": province_of(v)} for k, v in page],
        )
    op.drop_index("ix_declarations_buyer", table_name="declarations")
    op.drop_column("declarations", "buyer_id_number")
    op.create_index(
        "ix_declarations_buyer", "declarations", ["buyer_key", "quota_year"], unique=False
    )
    _drop_default("declarations", "buyer_id_sealed")
    _drop_default("declarations", "buyer_key")

    # The annual quota, by blind index (IDs written "x" and "X" become one buyer).
    quota: dict[tuple[str, int], dict[str, Any]] = {}
    for row in _all("quota_usage"):
        key = (blind_id(row["buyer_id_number"]), int(row["year"]))
        held = quota.get(key)
        if held is None:
            quota[key] = {
                "buyer_key": key[0],
                "year": key[1],
                "used": Decimal(str(row["used"])),
                "lists": int(row["lists"]),
                "updated_at": row["updated_at"],
            }
        else:
            held["used"] += Decimal(str(row["used"]))
            held["lists"] += int(row["lists"])
            held["updated_at"] = max(held["updated_at"], row["updated_at"])
    op.drop_table("quota_usage")
    _quota_table("buyer_key", BLIND)
    _copy_rows("quota_usage", list(quota.values()))

    # Disputes (referenced by their lists: columns added, not the table rebuilt).
    _add_filled("consumer_disputes", "id_sealed", sa.Text())
    _add_filled("consumer_disputes", "id_key", BLIND)
    for page in _pages("consumer_disputes", "id_number"):
        _update(
            "consumer_disputes",
            "id_sealed = :s, id_key = :b",
            [{"k": k, "s": seal(v), "b": blind_id(v)} for k, v in page],
        )
    op.drop_index("ix_consumer_disputes_identity", table_name="consumer_disputes")
    op.drop_column("consumer_disputes", "id_number")
    op.create_index(
        "ix_consumer_disputes_identity", "consumer_disputes", ["id_key", "id"], unique=False
    )
    _drop_default("consumer_disputes", "id_sealed")
    _drop_default("consumer_disputes", "id_key")

    # Opt-ins and notices: rebuilt, keyed by the blind index.
    subscriptions = _all("consumer_notice_subscriptions")
    op.drop_table("consumer_notice_subscriptions")
    _subscriptions_table(sealed=True)
    _copy_rows(
        "consumer_notice_subscriptions",
        [
            {
                **r,
                "id_key": blind_id(r["id_number"]),
                "id_number": seal(r["id_number"]),
                "contact": seal(r["contact"]),
            }
            for r in subscriptions
        ],
    )
    notices = _all("consumer_notices")
    op.drop_index("ix_consumer_notices_status", table_name="consumer_notices")
    op.drop_table("consumer_notices")
    _notices_table(sealed=True)
    _copy_rows(
        "consumer_notices",
        [
            {
                **r,
                "id_key": blind_id(r["id_number"]),
                "id_number": seal(r["id_number"]),
                "contact": seal(r["contact"]),
            }
            for r in notices
        ],
    )
    _restart_ids("consumer_notices")

    # Identity flags and buyer instructions: by blind index, with the masked number to show.
    op.add_column(
        "risk_flags", sa.Column("subject_label", sa.String(60), nullable=False, server_default="")
    )
    for page in _pages("risk_flags", "subject_key", only="subject_kind = 'identity'"):
        _update(
            "risk_flags",
            "subject_key = :b, subject_label = :m",
            [{"k": k, "b": blind_id(v), "m": mask_id(v)} for k, v in page if len(v) != 24],
        )
    _drop_default("risk_flags", "subject_label")
    op.add_column(
        "risk_control_instructions",
        sa.Column("target_label", sa.String(60), nullable=False, server_default=""),
    )
    for page in _pages("risk_control_instructions", "target_value", only="target_kind = 'buyer'"):
        _update(
            "risk_control_instructions",
            "target_value = :b, target_label = :m",
            [{"k": k, "b": blind_id(v), "m": mask_id(v)} for k, v in page],
        )
    _drop_default("risk_control_instructions", "target_label")
    # People in the identity graph, and identities in case evidence.
    for page in _pages("network_nodes", "subject", key="key", only="kind = 'person'"):
        _update(
            "network_nodes",
            "subject = :b",
            [{"k": k, "b": blind_id(v)} for k, v in page if v],
            "key",
        )
    for page in _pages("risk_case_evidence", "ref, details", only="kind = 'identity'"):
        _update("risk_case_evidence", "ref = :r, details = :d", [_evidence(*row) for row in page])


def _evidence(key: int, ref: str, details: str) -> dict[str, Any]:
    """An identity of a case's evidence by blind index or pseudonym, with its masked form."""
    role, _, value = ref.partition(":")
    shown = json.loads(details or "{}")
    if role == "member":  # a person of a network (its label is already there)
        return {"k": key, "r": f"member:{blind_id(value)}", "d": details}
    if "label" in shown:  # a node of a network: already by its node key
        return {"k": key, "r": ref, "d": details}
    if role == "phone":
        stand_in, label = pseudonym("phone", value), mask_phone(value)
    elif role == "address":
        stand_in, label = pseudonym("address", normalise_address(value)), mask_address(value)
    else:  # buyer, payer
        stand_in, label = blind_id(value), mask_id(value)
    return {
        "k": key,
        "r": f"{role}:{stand_in}",
        "d": json.dumps({**shown, "label": label}, ensure_ascii=False),
    }


def downgrade() -> None:
    """Downgrade schema: personal data back in clear (every key that sealed it must be
    configured); the quota counted again from the lists that count against it. Identity
    flags, buyer instructions, graph people and case evidence stay by blind index (a keyed
    hash cannot be undone)."""
    op.drop_column("risk_control_instructions", "target_label")
    op.drop_column("risk_flags", "subject_label")
    notices = _all("consumer_notices")
    op.drop_index("ix_consumer_notices_status", table_name="consumer_notices")
    op.drop_table("consumer_notices")
    _notices_table(sealed=False)
    _copy_rows(
        "consumer_notices",
        [
            {
                **{k: v for k, v in r.items() if k != "id_key"},
                "id_number": unseal(r["id_number"]),
                "contact": unseal(r["contact"]),
            }
            for r in notices
        ],
    )
    _restart_ids("consumer_notices")
    subscriptions = _all("consumer_notice_subscriptions")
    op.drop_table("consumer_notice_subscriptions")
    _subscriptions_table(sealed=False)
    _copy_rows(
        "consumer_notice_subscriptions",
        [
            {
                **{k: v for k, v in r.items() if k != "id_key"},
                "id_number": unseal(r["id_number"]),
                "contact": unseal(r["contact"]),
            }
            for r in subscriptions
        ],
    )

    _add_filled("consumer_disputes", "id_number", sa.String(length=60))
    for page in _pages("consumer_disputes", "id_sealed"):
        _update("consumer_disputes", "id_number = :v", [{"k": k, "v": unseal(v)} for k, v in page])
    op.drop_index("ix_consumer_disputes_identity", table_name="consumer_disputes")
    op.drop_column("consumer_disputes", "id_key")
    op.drop_column("consumer_disputes", "id_sealed")
    op.create_index(
        "ix_consumer_disputes_identity", "consumer_disputes", ["id_number", "id"], unique=False
    )
    _drop_default("consumer_disputes", "id_number")

    _add_filled("declarations", "buyer_id_number", sa.String(length=60))
    for page in _pages("declarations", "buyer_id_sealed"):
        _update("declarations", "buyer_id_number = :v", [{"k": k, "v": unseal(v)} for k, v in page])
    op.drop_index("ix_declarations_buyer", table_name="declarations")
    op.drop_column("declarations", "buyer_province")
    op.drop_column("declarations", "buyer_key")
    op.drop_column("declarations", "buyer_id_sealed")
    op.create_index(
        "ix_declarations_buyer", "declarations", ["buyer_id_number", "quota_year"], unique=False
    )
    _drop_default("declarations", "buyer_id_number")
    op.drop_table("quota_usage")
    _quota_table("buyer_id_number", sa.String(length=60))
    op.execute(
        "INSERT INTO quota_usage (buyer_id_number, year, used, lists, updated_at) "
        "SELECT buyer_id_number, quota_year, SUM(taxable_value), COUNT(*), MAX(decided_at) "
        "FROM declarations WHERE quota_counted AND taxable_value IS NOT NULL "
        "AND decided_at IS NOT NULL GROUP BY buyer_id_number, quota_year"
    )

    _convert("dead_letters", "raw", lambda v: unseal_bytes(bytes(v)))
    _convert("inbound_messages", "body", unseal)
    op.drop_column("declarations", "pii_purged_at")
    op.drop_column("inbound_messages", "pii_purged_at")
