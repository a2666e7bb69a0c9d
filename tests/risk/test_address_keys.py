"""An address is one place to the risk features however it is written (full-width digits,
spaces, how much of province and city), as it is to the identity graph; migration 0020
re-keys what a store made with the old keys, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from cbec.network import address as addresses
from cbec.network.graph import address_key
from cbec.privacy import pseudonym, seal
from cbec.risk.features import address_pseudonym
from cbec.sim.fraud import address_variant
from cbec.sim.regions import District
from cbec.store import make_engine, upgrade
from tests.conftest import BACKENDS, PG_URL, _database_name
from tests.privacy.test_migration import _insert

TIANHE = District("440106", "广东省", "广州市", "天河区")
NOW = datetime(2026, 11, 20, 8, tzinfo=UTC)


def _old(address: str) -> str:
    """The risk features' pseudonym of an address before 0020."""
    kept = "".join(c for c in address if not c.isspace() and c not in ",，.。-—#")
    return pseudonym("address", kept)


def test_every_way_of_writing_an_address_is_one_address_to_the_features() -> None:
    spellings = [address_variant(TIANHE, "体育西路88号3栋", v) for v in range(5)]
    assert len(set(spellings)) == 5
    keys = {address_pseudonym(s, TIANHE.code) for s in spellings}
    assert len(keys) == 1
    # before, three of the five spellings made addresses of their own
    assert len({_old(s) for s in spellings}) == 4
    # the graph's node of the address is the same pseudonym
    node = address_key(addresses.normalise(spellings[0], TIANHE.code))
    assert node == "a:" + keys.pop()
    assert address_pseudonym("广州市天河区体育西路89号3栋", TIANHE.code) not in {
        address_pseudonym(s, TIANHE.code) for s in spellings
    }


@pytest.fixture(params=BACKENDS)
def at_0019(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[Engine]:
    """A store of its own, migrated to 0019 (the revision before addresses were normal)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('m20') / 'cbec.db'}")
    else:
        assert PG_URL is not None
        name = _database_name(worker_id) + "_m20"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine = make_engine(make_url(PG_URL).set(database=name).render_as_string(False))
    upgrade(engine, "0019")
    yield engine
    engine.dispose()
    if request.param == "postgresql":
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _message(engine: Engine, id_: int, kind: str, key: str, body: dict[str, object]) -> None:
    _insert(
        engine,
        "inbound_messages",
        id=id_,
        guid=f"G{id_}",
        message_type={"waybill": "CEB511", "order": "CEB311"}[kind],
        sender_code="4401960005",
        business_key=key,
        app_type="1",
        content_hash=f"h{id_}",
        body=seal(json.dumps(body, ensure_ascii=False)),
        received_at=NOW,
        source="api",
    )
    _insert(
        engine,
        "documents",
        id=id_,
        kind=kind,
        business_key=key,
        order_no=key.rsplit("|", 1)[-1],
        sender_code="4401960005",
        status=800,
        version=1,
        deleted=False,
        message_id=id_,
        created_at=NOW,
        updated_at=NOW,
    )


def _list(engine: Engine, n: int, address: str, buyer: str, day: date) -> None:
    """List ``n`` of ``buyer`` to ``address`` (in Tianhe), as 0019 left its risk rows."""
    order_no = f"O{n}"
    _message(
        engine,
        10 * n,
        "waybill",
        f"LOG1|L{n}",
        {"logistics": {"logisticsHead": {"consigneeAddress": address, "orderNo": order_no}}},
    )
    _message(
        engine,
        10 * n + 1,
        "order",
        f"EBP|EBC|{order_no}",
        {"order": {"orderHead": {"consigneeDistrict": TIANHE.code, "orderNo": order_no}}},
    )
    _insert(
        engine,
        "declarations",
        id=n,
        business_key=f"K{n}",
        document_id=10 * n,
        order_no=order_no,
        ebp_code="EBP",
        ebc_code="EBC",
        logistics_code="LOG1",
        logistics_no=f"L{n}",
        quota_year=2026,
        status=800,
        received_at=NOW,
        decl_date=day,
    )
    old = _old(address)
    _insert(engine, "risk_links", kind="ba", a=buyer, b=old, first_seen=day)
    _insert(engine, "risk_links", kind="ab", a=old, b=buyer, first_seen=day)
    _insert(
        engine,
        "risk_assessments",
        id=n,
        declaration_id=n,
        at=NOW,
        features="{}",
        subjects=json.dumps({"buyer": buyer, "address": old}),
        rules_score=0.0,
    )


def test_0020_rekeys_the_risk_addresses_of_a_store(at_0019: Engine) -> None:
    engine = at_0019
    first, second = address_variant(TIANHE, "体育西路88号3栋", 0), "广东广州天河区体育西路８８号3栋"
    _list(engine, 1, first, "buyer-a", date(2026, 11, 11))
    _list(engine, 2, second, "buyer-a", date(2026, 11, 9))
    _list(engine, 3, second, "buyer-b", date(2026, 11, 12))
    # a key no stored list gives back stays as it was
    _insert(engine, "risk_links", kind="ab", a="gone", b="buyer-c", first_seen=date(2026, 1, 1))
    _insert(
        engine,
        "risk_cases",
        id=1,
        status="open",
        source="rule",
        subject_key="buyer:p",
        title="t",
        opened_at=NOW,
        opened_by="t",
        closing_note="",
    )
    _insert(
        engine,
        "risk_case_evidence",
        id=1,
        case_id=1,
        kind="identity",
        ref=f"address:{_old(second)}",
        details=json.dumps({"role": "address", "label": "广东省天河区 ****"}),
        added_at=NOW,
    )
    assert _old(first) != _old(second)

    upgrade(engine)

    new = address_pseudonym(first, TIANHE.code)
    with engine.connect() as connection:
        links = {
            (kind, a, b): str(seen)
            for kind, a, b, seen in connection.execute(
                text("SELECT kind, a, b, first_seen FROM risk_links")
            )
        }
        subjects = [
            json.loads(s)["address"]
            for (s,) in connection.execute(text("SELECT subjects FROM risk_assessments"))
        ]
        ref = connection.execute(text("SELECT ref FROM risk_case_evidence")).scalar_one()
    # buyer a wrote the address two ways: one link now, from the earlier day
    assert links == {
        ("ba", "buyer-a", new): "2026-11-09",
        ("ba", "buyer-b", new): "2026-11-12",
        ("ab", new, "buyer-a"): "2026-11-09",
        ("ab", new, "buyer-b"): "2026-11-12",
        ("ab", "gone", "buyer-c"): "2026-01-01",
    }
    assert subjects == [new, new, new]
    assert ref == f"address:{new}"
