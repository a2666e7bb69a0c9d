"""registry.json: the enterprises of the day, filed with valid codes and fitting roles."""

from __future__ import annotations

import re

from stdnum.cn import uscc

from cbec.registry.roles import Role
from cbec.sim.enterprises import make_uscc, organisation_code
from tests.sim.reading import Written


def test_uscc_construction_matches_gb_32100() -> None:
    assert organisation_code("60003734") == "600037341"
    assert make_uscc("110000", "60003734") == "91110000600037341L"


def test_registry_entries_are_well_formed(written: Written) -> None:
    registry = written.registry
    assert registry["format"] == "cbec-registry/1"
    entries = registry["enterprises"]
    assert len({e["customsCode"] for e in entries}) == len(entries)
    assert len({e["uscc"] for e in entries}) == len(entries)
    assert len({e["name"] for e in entries}) == len(entries)
    for entry in entries:
        assert set(entry) == {"customsCode", "uscc", "name", "roles", "status", "filingDate"}
        assert re.fullmatch(r"[0-9A-Z]{10}", entry["customsCode"])
        assert uscc.is_valid(entry["uscc"]), entry
        assert entry["roles"]
        assert set(entry["roles"]) <= {str(r) for r in Role}
        assert entry["status"] in ("active", "suspended", "revoked")
        assert re.fullmatch(r"20\d\d-\d\d-\d\d", entry["filingDate"])
    assert entries[0]["customsCode"] == "4401960001"  # the sample order's platform


def test_the_market_has_every_kind_of_party(written: Written) -> None:
    roles = [tuple(e["roles"]) for e in written.registry["enterprises"]]
    count = {role: sum(role in r for r in roles) for role in Role}
    assert count[Role.PLATFORM] >= 5
    assert count[Role.ECOMMERCE] >= 30
    assert count[Role.PAYMENT] >= 4
    assert count[Role.LOGISTICS] >= 5
    assert count[Role.AGENT] >= 4
    assert count[Role.AREA] >= 3
    assert ("platform", "ecommerce") in roles


def test_a_platform_sells_its_own_goods(written: Written) -> None:
    own = [
        o
        for o in written.by_order
        if written.last(o, "CEB311").ebpCode == written.last(o, "CEB311").ebcCode
    ]
    assert own
    code = written.last(own[0], "CEB311").ebpCode
    assert set(written.enterprises[code]["roles"]) == {"platform", "ecommerce"}


def test_parties_named_in_the_traffic_are_filed_in_their_roles(written: Written) -> None:
    filed = written.enterprises
    for order_no in written.by_order:
        order = written.last(order_no, "CEB311")
        listing = written.last(order_no, "CEB621")
        assert "platform" in filed[order.ebpCode]["roles"]
        assert "ecommerce" in filed[order.ebcCode]["roles"]
        assert "payment" in filed[order.payCode]["roles"]
        assert "logistics" in filed[listing.logisticsCode]["roles"]
        assert "agent" in filed[listing.agentCode]["roles"]
        assert all(filed[c]["status"] == "active" for c in (order.ebpCode, order.ebcCode))
