"""Done when: personal data written under key A is read after the switch to key B (A kept
as an old key), ``rotate`` seals every value again under B, and once A is removed
everything still reads; without A and before rotation, reading fails with a clear error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from cbec.audit import service as audit
from cbec.cli import app
from cbec.config import get_settings
from cbec.pii import service as pii
from cbec.privacy import (
    DEVELOPMENT_PII_KEY,
    PiiKey,
    PiiKeyError,
    blind_id,
    seal,
    unseal,
    unseal_bytes,
    use_pii_keys,
)
from cbec.store.models import (
    AuditEntry,
    ConsumerDispute,
    DeadLetter,
    Declaration,
    Document,
    IdentityNotice,
    InboundMessage,
    NoticeSubscription,
    utcnow,
)

ID = "11010519491231002X"
BODY = '{"CEB311Message":{"buyerIdNumber":"11010519491231002X","buyerName":"张三丰"}}'
KEY_A, KEY_B = "key-a-" + "a" * 32, "key-b-" + "b" * 32


@pytest.fixture
def keys() -> Iterator[None]:
    """Keys are process-wide: every test leaves the development key in place."""
    try:
        yield
    finally:
        use_pii_keys(DEVELOPMENT_PII_KEY)


def _write(session: Session, n: int) -> None:
    """One row of every table with sealed columns."""
    now = utcnow()
    message = InboundMessage(
        guid=f"G{n}",
        message_type="CEB621",
        sender_code="4401960005",
        business_key=f"K{n}",
        app_type="1",
        content_hash=f"{n:064d}",
        body=BODY,
        received_at=now,
    )
    session.add(message)
    session.flush()
    document = Document(
        kind="inventory",
        business_key=f"K{n}",
        order_no=f"O{n}",
        sender_code="4401960005",
        message_id=message.id,
    )
    session.add(document)
    session.flush()
    session.add(
        Declaration(
            business_key=f"K{n}",
            document_id=document.id,
            order_no=f"O{n}",
            ebp_code="E",
            ebc_code="E",
            agent_code="E",
            logistics_code="L",
            logistics_no=f"W{n}",
            cop_no=f"C{n}",
            buyer_id_number=ID,
            buyer_key=blind_id(ID),
            trade_mode="9610",
            customs_code="5141",
            assure_code="E",
            decl_date=date(2026, 11, 11),
            quota_year=2026,
        )
    )
    session.add(DeadLetter(raw=b"<bad>" + ID.encode(), stage="parse", error="x"))
    session.add(ConsumerDispute(id_number=ID, id_key=blind_id(ID), statement=""))
    session.add(
        IdentityNotice(
            id_number=ID,
            id_key=blind_id(ID),
            business_key=f"K{n}",
            order_no=f"O{n}",
            ebp_code="E",
            ebp_name="P",
            decl_date=date(2026, 11, 11),
            channel="sms",
            contact="13812345678",
        )
    )
    if n == 1:
        session.add(
            NoticeSubscription(
                id_key=blind_id(ID), id_number=ID, channel="sms", contact="13812345678"
            )
        )
    session.commit()


def _read_all(session: Session) -> None:
    assert {m.body for m in session.scalars(select(InboundMessage))} == {BODY}
    assert {d.buyer_id_number for d in session.scalars(select(Declaration))} == {ID}
    assert {d.raw for d in session.scalars(select(DeadLetter))} == {b"<bad>" + ID.encode()}
    assert {c.id_number for c in session.scalars(select(ConsumerDispute))} == {ID}
    assert {(n.id_number, n.contact) for n in session.scalars(select(IdentityNotice))} == {
        (ID, "13812345678")
    }
    assert session.get(NoticeSubscription, blind_id(ID)) is not None


def test_rotation_from_key_a_to_key_b(db: sessionmaker[Session], keys: None) -> None:
    a, b = PiiKey.of(KEY_A).id, PiiKey.of(KEY_B).id
    use_pii_keys(KEY_A)
    with db() as s:
        _write(s, 1)
        census = pii.key_census(s)
    assert census["inbound_messages.body"] == {a: 1}
    assert census["dead_letters.raw"] == {a: 1}
    assert set(census) >= {
        "declarations.buyer_id_sealed",
        "consumer_disputes.id_sealed",
        "consumer_notice_subscriptions.contact",
        "consumer_notices.contact",
    }

    use_pii_keys(KEY_B, [KEY_A])  # B is current, A still opens what it sealed
    with db() as s:
        _read_all(s)
        _write(s, 2)
        assert pii.key_census(s)["declarations.buyer_id_sealed"] == {a: 1, b: 1}

    use_pii_keys(KEY_B)  # A removed too early: a clear error, no garbage
    with db() as s, pytest.raises(PiiKeyError, match="CBEC_PII_OLD_KEYS"):
        _read_all(s)

    use_pii_keys(KEY_B, [KEY_A])
    counts = pii.rotate(db, batch=1)  # one row per transaction: paging is exercised
    assert counts["inbound_messages.body"] == 1
    assert counts["declarations.buyer_id_sealed"] == 1
    assert counts["consumer_notice_subscriptions.id_number"] == 1
    assert sum(counts.values()) == 8
    with db() as s:
        census = pii.key_census(s)
        assert all(set(tally) <= {b} for tally in census.values()), census
        assert pii.rotate(db) == dict.fromkeys(census, 0)  # nothing left to do
        rotated = s.scalars(select(AuditEntry).where(AuditEntry.action == "pii.rotate")).all()
        assert [e.subject_key for e in rotated] == [b, b]
        assert audit.verify(s).ok

    use_pii_keys(KEY_B)  # A removed: everything still reads
    with db() as s:
        _read_all(s)
        raw = s.execute(text("SELECT body FROM inbound_messages")).scalars().all()
        assert all(r.startswith(f"{b}$") and ID not in r for r in raw)


def test_a_sealed_value_does_not_open_under_a_wrong_or_altered_key(keys: None) -> None:
    use_pii_keys(KEY_A)
    sealed = seal(ID)
    assert sealed != seal(ID)  # a fresh nonce each time
    assert unseal(sealed) == ID
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(PiiKeyError, match="does not open"):
        unseal(tampered)
    with pytest.raises(PiiKeyError, match="not sealed"):
        unseal(ID)
    with pytest.raises(PiiKeyError, match="not sealed"):
        unseal_bytes(ID.encode())
    with pytest.raises(PiiKeyError, match="empty"):
        use_pii_keys(" ")


def test_the_command_line_rotates_and_refuses_a_purge_within_retention(
    db: sessionmaker[Session], engine: Engine, monkeypatch: pytest.MonkeyPatch, keys: None
) -> None:
    use_pii_keys(KEY_A)
    with db() as s:
        _write(s, 1)
    b = PiiKey.of(KEY_B).id
    monkeypatch.setenv("CBEC_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("CBEC_PII_KEY", KEY_B)
    monkeypatch.setenv("CBEC_PII_OLD_KEYS", f"{KEY_A}, ")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        rotated = runner.invoke(app, ["pii", "rotate", "--json"])
        assert rotated.exit_code == 0, rotated.output
        assert json.loads(rotated.output)["current"] == b
        shown = runner.invoke(app, ["pii", "keys", "--json"])
        assert shown.exit_code == 0, shown.output
        columns = json.loads(shown.output)["columns"]
        assert columns["inbound_messages.body"] == {b: 1}
        assert all(set(tally) <= {b} for tally in columns.values())

        recent = runner.invoke(app, ["pii", "purge", "--before", "2026-11-01"])
        assert recent.exit_code == 1
        assert "--before" in recent.output
        assert "[pii.retention]" in recent.output
        garbage = runner.invoke(app, ["pii", "purge", "--before", "last year"])
        assert garbage.exit_code == 1
        assert "[date.iso]" in garbage.output
        old = runner.invoke(app, ["pii", "purge", "--before", "2020-01-01", "--json"])
        assert old.exit_code == 0, old.output
        assert json.loads(old.output)["listsErased"] == 0  # nothing that old
    finally:
        get_settings.cache_clear()
