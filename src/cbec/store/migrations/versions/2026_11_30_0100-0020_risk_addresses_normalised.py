"""risk addresses normalised: the risk aggregates, assessments and case evidence name an
address by the pseudonym of its normal form (:mod:`cbec.network.address`, the form the
identity graph already used) instead of the text with spaces and some punctuation taken
out, so that "广东广州天河区体育西路８８号" and "广东省广州市天河区体育西路88号" are one address

The old keys are re-keyed through the lists that made them: for each list, its waybill's
consignee address and its order's district (both read from the sealed message bodies)
give the old pseudonym and the new one. Links of two spellings of one address merge (the
earlier first-seen day is kept). A key no stored list gives back (its documents were
purged) stays as it was. Runs with the process's keys, as 0018 does (``CBEC_PII_KEY`` to
open the bodies, ``CBEC_PSEUDONYM_KEY`` for the pseudonyms; a process with another
pseudonym key is refused after the migrations, and this one with them).

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 01:00:00

"""

import json
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from cbec.network.address import key_of
from cbec.privacy import is_sealed, pseudonym, unseal

# revision identifiers, used by Alembic.
revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: rows read per statement
BATCH = 1000
#: the risk link kinds with an address: buyer -> address, address -> buyer
BUYER_ADDRESS, ADDRESS_BUYER = "ba", "ab"


def _old(address: str) -> str:
    """The risk features' pseudonym of an address before this revision."""
    text = "".join(ch for ch in address if not ch.isspace() and ch not in ",，.。-—#")
    return pseudonym("address", text)


def _new(address: str, district: str | None) -> str:
    """Their pseudonym from this revision on (``cbec.risk.features.address_pseudonym``;
    a later change of the normal form comes with a migration of its own, as this one)."""
    return pseudonym("naddress", key_of(address, district or None))


def _body(value: str | None) -> dict[str, Any]:
    if not value:
        return {}
    loaded = json.loads(unseal(value) if is_sealed(value) else value)
    return loaded if isinstance(loaded, dict) else {}


def _head(body: dict[str, Any], root: str, head: str) -> dict[str, Any]:
    found = (body.get(root) or {}).get(head) or {}
    return found if isinstance(found, dict) else {}


def _keyset(head: str, key: str) -> Iterator[list[Any]]:
    """The rows of ``head`` (a SELECT whose first column is ``key``, ending with WHERE or
    with its conditions and AND) in pages of ``BATCH``, by ``key``."""
    bind = op.get_bind()
    after = 0
    while True:
        rows = bind.execute(
            sa.text(f"{head} {key} > :after ORDER BY {key} LIMIT {BATCH}"), {"after": after}
        ).all()
        if not rows:
            return
        yield list(rows)
        after = rows[-1][0]


def _lists() -> Iterator[list[Any]]:
    """(id, waybill body, order body) of every list with its waybill, by id, in pages."""
    return _keyset(
        "SELECT d.id, wm.body, om.body FROM declarations d "
        "JOIN documents w ON w.kind = 'waybill' "
        "AND w.business_key = d.logistics_code || '|' || d.logistics_no "
        "JOIN inbound_messages wm ON wm.id = w.message_id "
        "LEFT JOIN documents o ON o.kind = 'order' "
        "AND o.business_key = d.ebp_code || '|' || d.ebc_code || '|' || d.order_no "
        "LEFT JOIN inbound_messages om ON om.id = o.message_id WHERE",
        "d.id",
    )


def _mapping() -> dict[str, str]:
    """Old pseudonym -> new, from every stored list's waybill and order."""
    mapping: dict[str, str] = {}
    for page in _lists():
        for _id, waybill, order in page:
            address = _head(_body(waybill), "logistics", "logisticsHead").get("consigneeAddress")
            if not address:
                continue
            district = _head(_body(order), "order", "orderHead").get("consigneeDistrict")
            mapping.setdefault(_old(address), _new(address, district))
    return mapping


def _rekey_links(mapping: dict[str, str]) -> None:
    """Re-key the address links; two spellings of one address merge (earliest day kept)."""
    bind = op.get_bind()
    earliest = "LEAST" if bind.dialect.name == "postgresql" else "min"
    upsert = sa.text(
        "INSERT INTO risk_links (kind, a, b, first_seen) VALUES (:kind, :a, :b, :first_seen) "
        "ON CONFLICT (kind, a, b) DO UPDATE SET first_seen = "
        f"{earliest}(risk_links.first_seen, excluded.first_seen)"
    )
    remove = sa.text("DELETE FROM risk_links WHERE kind = :kind AND a = :a AND b = :b")
    for kind, side in ((BUYER_ADDRESS, "b"), (ADDRESS_BUYER, "a")):
        after: tuple[str, str] = ("", "")
        while True:
            # by key, in pages; a re-keyed row may come round again, with a key the
            # mapping does not hold
            rows = bind.execute(
                sa.text(
                    "SELECT a, b, first_seen FROM risk_links WHERE kind = :kind "
                    f"AND (a > :a OR (a = :a AND b > :b)) ORDER BY a, b LIMIT {BATCH}"
                ),
                {"kind": kind, "a": after[0], "b": after[1]},
            ).all()
            if not rows:
                break
            after = (rows[-1][0], rows[-1][1])
            moved = [
                {"kind": kind, "a": a, "b": b, "first_seen": first_seen}
                for a, b, first_seen in rows
                if (b if side == "b" else a) in mapping
            ]
            if moved:
                bind.execute(remove, moved)
                bind.execute(upsert, [{**row, side: mapping[row[side]]} for row in moved])


def _pages(table: str, columns: str, only: str) -> Iterator[list[Any]]:
    return _keyset(f"SELECT id, {columns} FROM {table} WHERE {only} AND", "id")


def _rekey_assessments(mapping: dict[str, str]) -> None:
    bind = op.get_bind()
    for page in _pages("risk_assessments", "subjects", "subjects LIKE '%\"address\"%'"):
        changed = []
        for key, subjects in page:
            shown = json.loads(subjects or "{}")
            new = mapping.get(shown.get("address", ""))
            if new is not None:
                changed.append({"k": key, "s": json.dumps({**shown, "address": new})})
        if changed:
            bind.execute(
                sa.text("UPDATE risk_assessments SET subjects = :s WHERE id = :k"), changed
            )


def _rekey_evidence(mapping: dict[str, str]) -> None:
    bind = op.get_bind()
    for page in _pages("risk_case_evidence", "ref", "kind = 'identity' AND ref LIKE 'address:%'"):
        changed = [
            {"k": key, "r": f"address:{mapping[ref[8:]]}"}
            for key, ref in page
            if ref[8:] in mapping
        ]
        if changed:
            bind.execute(sa.text("UPDATE risk_case_evidence SET ref = :r WHERE id = :k"), changed)


def upgrade() -> None:
    mapping = _mapping()
    if not mapping:
        return
    _rekey_links(mapping)
    _rekey_assessments(mapping)
    _rekey_evidence(mapping)


def downgrade() -> None:
    """Each new key back to one of the old ones it came from (spellings that merged stay
    merged: which list wrote which spelling is not kept)."""
    back: dict[str, str] = {}
    for old, new in _mapping().items():
        back.setdefault(new, old)
    if back:
        _rekey_links(back)
        _rekey_assessments(back)
        _rekey_evidence(back)
