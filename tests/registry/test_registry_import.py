"""Importing a ``cbec-registry/1`` file: all or nothing, idempotent, statuses applied."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from cbec.errors import BadRequest, Unauthorized, ValidationFailed
from cbec.registry import service
from cbec.registry.credentials import authenticate
from cbec.registry.schemas import EnterpriseAmend
from tests.registry.factories import (
    EBC_CODE,
    PAY_CODE,
    PLATFORM_CODE,
    bad_checksum,
    entry,
    filing,
    registry,
    sample_registry,
    valid_uscc,
)


def test_import_files_every_enterprise_with_a_working_key(session: Session) -> None:
    summary = service.import_registry(session, sample_registry())

    assert summary.filed == [PLATFORM_CODE, EBC_CODE, PAY_CODE]
    assert summary.amended == summary.unchanged == []
    assert set(summary.tokens()) == {PLATFORM_CODE, EBC_CODE, PAY_CODE}
    for code, token in summary.tokens().items():
        assert authenticate(session, token).customs_code == code
    platform = service.get_by_code(session, PLATFORM_CODE)
    assert platform.role_names == ["ecommerce", "platform"]
    assert platform.filing_date == date(2024, 3, 1)


def test_status_in_the_file_is_applied(session: Session) -> None:
    document = registry(
        entry(PLATFORM_CODE, 1, status="suspended", statusReason="under review"),
        entry(EBC_CODE, 2, status="suspended"),
        entry(PAY_CODE, 3, status="revoked"),
    )
    summary = service.import_registry(session, document)

    first = service.get_by_code(session, PLATFORM_CODE)
    assert (first.status, first.status_reason) == ("suspended", "under review")
    second = service.get_by_code(session, EBC_CODE)
    assert second.status == "suspended"
    assert second.status_reason == service.IMPORT_REASON
    assert service.get_by_code(session, PAY_CODE).status == "revoked"
    # a revoked enterprise gets no key; a suspended one does (intake refuses what it sends)
    assert set(summary.keys) == {PLATFORM_CODE, EBC_CODE}


def test_reimporting_the_same_file_changes_nothing_and_issues_no_key(session: Session) -> None:
    first = service.import_registry(session, sample_registry())

    again = service.import_registry(session, sample_registry())

    assert again.filed == again.amended == []
    assert again.unchanged == [PLATFORM_CODE, EBC_CODE, PAY_CODE]
    assert again.keys == {}
    for code, token in first.tokens().items():
        assert authenticate(session, token).customs_code == code
    assert all(len(service.list_keys(session, code)) == 1 for code in first.keys)


def test_reimport_issues_a_key_only_to_an_enterprise_left_without_one(session: Session) -> None:
    first = service.import_registry(session, sample_registry())
    service.revoke_key(session, EBC_CODE, first.keys[EBC_CODE].key_id)

    again = service.import_registry(session, sample_registry())

    assert list(again.keys) == [EBC_CODE]
    assert authenticate(session, again.keys[EBC_CODE].token).customs_code == EBC_CODE


def test_reimport_without_filing_date_keeps_the_filed_date(session: Session) -> None:
    service.import_registry(session, registry(entry(PLATFORM_CODE, 1)))
    undated = entry(PLATFORM_CODE, 1)
    del undated["filingDate"]

    summary = service.import_registry(session, registry(undated))

    assert summary.unchanged == [PLATFORM_CODE]
    assert service.get_by_code(session, PLATFORM_CODE).filing_date == date(2024, 3, 1)


def test_changed_entries_are_amended(session: Session) -> None:
    service.import_registry(session, sample_registry())
    document = sample_registry()
    document["enterprises"][0]["name"] = "改名后的平台"
    document["enterprises"][1]["roles"] = ["ecommerce", "agent"]
    document["enterprises"][2]["status"] = "active"

    summary = service.import_registry(session, document)

    assert summary.amended == [PLATFORM_CODE, EBC_CODE, PAY_CODE]
    assert summary.keys == {}
    assert service.get_by_code(session, PLATFORM_CODE).name == "改名后的平台"
    assert service.get_by_code(session, EBC_CODE).role_names == ["agent", "ecommerce"]
    assert service.get_by_code(session, PAY_CODE).status == "active"


def test_revoking_through_the_file_ends_the_keys(session: Session) -> None:
    first = service.import_registry(session, sample_registry())
    document = sample_registry()
    document["enterprises"][1]["status"] = "revoked"

    service.import_registry(session, document)

    with pytest.raises(Unauthorized):
        authenticate(session, first.keys[EBC_CODE].token)


def test_one_bad_entry_imports_nothing_and_each_problem_names_its_entry(
    session: Session,
) -> None:
    document = registry(
        entry(PLATFORM_CODE, 1, "platform"),
        entry(EBC_CODE, 2, uscc=bad_checksum(valid_uscc(2))),
        entry(PAY_CODE, 3, "payment", "bank"),
        entry("44019600", 4),
        entry("4401960009", 5, filingDate="2024-02-30"),
        "not an enterprise",
        {"customsCode": "4401960010"},
    )

    with pytest.raises(ValidationFailed) as raised:
        service.import_registry(session, document)

    problems = {(f.path, f.rule) for f in raised.value.fields}
    assert ("enterprises[1].uscc", "stdnum.cn.uscc") in problems
    assert ("enterprises[2].roles[1]", service.RULE_ROLE) in problems
    assert ("enterprises[3].customsCode", "length=10") in problems
    assert any(p == "enterprises[4].filingDate" for p, _ in problems)
    assert ("enterprises[5]", "object") in problems
    assert ("enterprises[6].uscc", "required") in problems
    assert "enterprises[0]" not in {f.path.split(".")[0] for f in raised.value.fields}
    assert "6 entries" in raised.value.detail
    assert service.list_enterprises(session) == []


def test_failed_import_leaves_the_store_as_it_was(db: sessionmaker[Session]) -> None:
    with db() as s:
        service.import_registry(s, registry(entry(PLATFORM_CODE, 1)))
        s.commit()
    document = registry(
        entry(PLATFORM_CODE, 1, name="should not be applied"),
        entry(EBC_CODE, 2, roles=[]),
    )

    with db() as s, pytest.raises(ValidationFailed):
        service.import_registry(s, document)

    with db() as s:
        assert [e.customs_code for e in service.list_enterprises(s)] == [PLATFORM_CODE]
        assert service.get_by_code(s, PLATFORM_CODE).name == "企业 1"


def test_duplicates_within_the_file_are_reported(session: Session) -> None:
    document = registry(
        entry(PLATFORM_CODE, 1),
        entry(PLATFORM_CODE, 2),
        entry(EBC_CODE, 1),
    )
    with pytest.raises(ValidationFailed) as raised:
        service.import_registry(session, document)
    assert {(f.path, f.rule) for f in raised.value.fields} == {
        ("enterprises[1].customsCode", "unique"),
        ("enterprises[2].uscc", "unique"),
    }


def test_uscc_filed_under_another_code_is_reported(session: Session) -> None:
    service.file_enterprise(session, filing(PLATFORM_CODE, 1))
    with pytest.raises(ValidationFailed) as raised:
        service.import_registry(session, registry(entry(EBC_CODE, 1)))
    [problem] = raised.value.fields
    assert (problem.path, problem.rule) == ("enterprises[0].uscc", "unique")
    assert PLATFORM_CODE in problem.message


def test_file_cannot_bring_back_a_revoked_enterprise(session: Session) -> None:
    service.import_registry(session, registry(entry(PLATFORM_CODE, 1)))
    service.revoke(session, PLATFORM_CODE, "licence withdrawn")

    with pytest.raises(ValidationFailed) as raised:
        service.import_registry(session, registry(entry(PLATFORM_CODE, 1)))

    [problem] = raised.value.fields
    assert (problem.path, problem.rule) == ("enterprises[0].status", "revoked-is-final")
    assert service.get_by_code(session, PLATFORM_CODE).status == "revoked"


def test_revoked_entry_matching_the_store_is_unchanged(session: Session) -> None:
    service.import_registry(session, registry(entry(PLATFORM_CODE, 1)))
    service.revoke(session, PLATFORM_CODE, "licence withdrawn")
    summary = service.import_registry(
        session,
        registry(entry(PLATFORM_CODE, 1, status="revoked", statusReason="licence withdrawn")),
    )
    assert summary.unchanged == [PLATFORM_CODE]
    assert summary.keys == {}


def test_amended_enterprise_is_amended_again_by_the_file(session: Session) -> None:
    service.import_registry(session, registry(entry(PLATFORM_CODE, 1)))
    service.amend(session, PLATFORM_CODE, EnterpriseAmend(name="changed by hand"))
    summary = service.import_registry(session, registry(entry(PLATFORM_CODE, 1)))
    assert summary.amended == [PLATFORM_CODE]
    assert service.get_by_code(session, PLATFORM_CODE).name == "企业 1"


@pytest.mark.parametrize(
    "document",
    [
        {"format": "cbec-registry/2", "enterprises": []},
        {"enterprises": []},
        [],
        "cbec-registry/1",
    ],
)
def test_unknown_format_is_a_bad_request(session: Session, document: object) -> None:
    with pytest.raises(BadRequest) as raised:
        service.import_registry(session, document)
    assert not isinstance(raised.value, ValidationFailed)
    assert "cbec-registry/1" in raised.value.detail


def test_missing_enterprise_list_is_reported(session: Session) -> None:
    with pytest.raises(ValidationFailed) as raised:
        service.import_registry(session, {"format": "cbec-registry/1"})
    assert raised.value.fields[0].path == "enterprises"
