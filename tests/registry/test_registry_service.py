"""Filing, amending, status changes and keys, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from cbec.errors import BadRequest, Conflict, NotFound, Unauthorized, ValidationFailed
from cbec.registry import service
from cbec.registry.credentials import authenticate
from cbec.registry.schemas import EnterpriseAmend, beijing_today
from tests.registry.factories import (
    EBC_CODE,
    PAY_CODE,
    PLATFORM_CODE,
    bad_checksum,
    filing,
    valid_uscc,
)


def test_filing_stores_an_active_enterprise_whose_key_authenticates(session: Session) -> None:
    enterprise, key = service.file_enterprise(
        session, filing(roles=["platform", "ecommerce"], filingDate="2024-03-01")
    )

    stored = service.get_by_code(session, PLATFORM_CODE)
    assert stored.uscc == valid_uscc(1)
    assert stored.status == "active"
    assert stored.role_names == ["ecommerce", "platform"]
    assert stored.filing_date == date(2024, 3, 1)
    assert authenticate(session, key.token).customs_code == PLATFORM_CODE
    assert key.token.startswith(f"cbec_{key.key_id}_")
    assert enterprise is stored


def test_filing_date_defaults_to_today_in_beijing(session: Session) -> None:
    enterprise, _ = service.file_enterprise(session, filing())
    assert enterprise.filing_date == beijing_today()


def test_uscc_is_stored_in_its_compact_form(session: Session) -> None:
    spaced = valid_uscc(1).lower()
    spaced = spaced[:8] + " " + spaced[8:]
    enterprise, _ = service.file_enterprise(session, filing(uscc=spaced))
    assert enterprise.uscc == valid_uscc(1)


@pytest.mark.parametrize(
    ("fields", "path", "rule"),
    [
        ({"uscc": bad_checksum(valid_uscc(1))}, "uscc", "stdnum.cn.uscc"),
        ({"uscc": "91440101MA5C0001"}, "uscc", "stdnum.cn.uscc"),
        ({"uscc": "9144010IMA5C00001X"}, "uscc", "stdnum.cn.uscc"),
        ({"customsCode": "440196000"}, "customsCode", "length=10"),
        ({"customsCode": "44019600012"}, "customsCode", "length=10"),
        ({"customsCode": "440196000a"}, "customsCode", "pattern=[0-9A-Z]{10}"),
        ({"roles": ["platform", "shop"]}, "roles[1]", "enumeration="),
        ({"roles": []}, "roles", "minOccurs=1"),
        ({"name": "   "}, "name", "required"),
        ({"name": "x" * 201}, "name", "maxLength=200"),
    ],
)
def test_bad_filing_names_field_and_rule_and_files_nothing(
    session: Session, fields: dict[str, object], path: str, rule: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        service.file_enterprise(session, filing(**fields))

    [problem] = raised.value.fields
    assert problem.path == path
    assert problem.rule.startswith(rule)
    assert service.list_enterprises(session) == []


def test_every_problem_of_a_filing_is_reported_at_once(session: Session) -> None:
    with pytest.raises(ValidationFailed) as raised:
        service.file_enterprise(
            session, filing("SHORT", uscc=bad_checksum(valid_uscc(1)), roles=["shop"])
        )
    assert [f.path for f in raised.value.fields] == ["customsCode", "uscc", "roles[0]"]


def test_uscc_checksum_message_is_readable(session: Session) -> None:
    with pytest.raises(ValidationFailed) as raised:
        service.file_enterprise(session, filing(uscc=bad_checksum(valid_uscc(1))))
    assert "check digit" in raised.value.fields[0].message


def test_duplicate_customs_code_is_a_conflict_naming_the_code(session: Session) -> None:
    service.file_enterprise(session, filing(PLATFORM_CODE, 1))
    with pytest.raises(Conflict) as raised:
        service.file_enterprise(session, filing(PLATFORM_CODE, 2))
    assert PLATFORM_CODE in raised.value.detail
    assert raised.value.fields[0].path == "customsCode"


def test_duplicate_uscc_is_a_conflict_naming_its_holder(session: Session) -> None:
    service.file_enterprise(session, filing(PLATFORM_CODE, 1))
    with pytest.raises(Conflict) as raised:
        service.file_enterprise(session, filing(EBC_CODE, 1))
    assert raised.value.fields[0].path == "uscc"
    assert PLATFORM_CODE in raised.value.detail


def test_amend_changes_name_uscc_and_replaces_roles(session: Session) -> None:
    enterprise, _ = service.file_enterprise(session, filing(roles=["platform", "ecommerce"]))
    before = enterprise.updated_at

    service.amend(
        session,
        PLATFORM_CODE,
        EnterpriseAmend(name="新名称", uscc=valid_uscc(7), roles=["ecommerce", "agent"]),
    )

    stored = service.get_by_code(session, PLATFORM_CODE)
    assert stored.name == "新名称"
    assert stored.uscc == valid_uscc(7)
    assert stored.role_names == ["agent", "ecommerce"]
    assert stored.updated_at >= before


def test_amend_leaves_out_fields_alone(session: Session) -> None:
    service.file_enterprise(session, filing(roles=["platform"]))
    service.amend(session, PLATFORM_CODE, EnterpriseAmend(name="只改名称"))
    stored = service.get_by_code(session, PLATFORM_CODE)
    assert stored.role_names == ["platform"]
    assert stored.uscc == valid_uscc(1)


def test_amend_checks_the_same_rules(session: Session) -> None:
    service.file_enterprise(session, filing(PLATFORM_CODE, 1))
    service.file_enterprise(session, filing(EBC_CODE, 2))
    with pytest.raises(ValidationFailed) as raised:
        service.amend(session, PLATFORM_CODE, EnterpriseAmend(roles=["bank"]))
    assert raised.value.fields[0].path == "roles[0]"
    with pytest.raises(Conflict):
        service.amend(session, PLATFORM_CODE, EnterpriseAmend(uscc=valid_uscc(2)))
    with pytest.raises(BadRequest, match="nothing to amend"):
        service.amend(session, PLATFORM_CODE, EnterpriseAmend())


def test_suspend_and_reinstate_keep_the_reason(session: Session) -> None:
    service.file_enterprise(session, filing())

    suspended = service.suspend(session, PLATFORM_CODE, "three-document mismatches")
    assert (suspended.status, suspended.status_reason) == (
        "suspended",
        "three-document mismatches",
    )
    with pytest.raises(Conflict, match="already suspended"):
        service.suspend(session, PLATFORM_CODE, "again")

    reinstated = service.reinstate(session, PLATFORM_CODE, "corrected")
    assert (reinstated.status, reinstated.status_reason) == ("active", "corrected")
    with pytest.raises(Conflict, match="not suspended"):
        service.reinstate(session, PLATFORM_CODE)


def test_a_reason_is_required_to_suspend(session: Session) -> None:
    service.file_enterprise(session, filing())
    with pytest.raises(ValidationFailed) as raised:
        service.suspend(session, PLATFORM_CODE, " ")
    assert raised.value.fields[0].path == "reason"
    assert service.get_by_code(session, PLATFORM_CODE).status == "active"


def test_revocation_is_final_and_ends_every_key(session: Session) -> None:
    _, first = service.file_enterprise(session, filing())
    second = service.issue_key(session, PLATFORM_CODE)

    revoked = service.revoke(session, PLATFORM_CODE, "smuggling case 2026-17")
    assert (revoked.status, revoked.status_reason) == ("revoked", "smuggling case 2026-17")

    for token in (first.token, second.token):
        with pytest.raises(Unauthorized):
            authenticate(session, token)
    with pytest.raises(Conflict, match="final"):
        service.reinstate(session, PLATFORM_CODE)
    with pytest.raises(Conflict, match="final"):
        service.amend(session, PLATFORM_CODE, EnterpriseAmend(name="renamed"))
    with pytest.raises(Conflict, match="final"):
        service.suspend(session, PLATFORM_CODE, "x")
    with pytest.raises(Conflict, match="final"):
        service.revoke(session, PLATFORM_CODE, "x")
    with pytest.raises(Conflict, match="final"):
        service.issue_key(session, PLATFORM_CODE)


def test_issued_key_authenticates_and_revoked_key_is_refused(session: Session) -> None:
    _, first = service.file_enterprise(session, filing())
    second = service.issue_key(session, PLATFORM_CODE)
    assert second.token != first.token

    service.revoke_key(session, PLATFORM_CODE, first.key_id)

    with pytest.raises(Unauthorized):
        authenticate(session, first.token)
    assert authenticate(session, second.token).customs_code == PLATFORM_CODE
    keys = {k.key_id: k.revoked_at for k in service.list_keys(session, PLATFORM_CODE)}
    assert keys[first.key_id] is not None
    assert keys[second.key_id] is None


def test_revoking_a_key_of_another_enterprise_is_not_found(session: Session) -> None:
    _, key = service.file_enterprise(session, filing(PLATFORM_CODE, 1))
    service.file_enterprise(session, filing(EBC_CODE, 2))
    with pytest.raises(NotFound):
        service.revoke_key(session, EBC_CODE, key.key_id)
    assert authenticate(session, key.token).customs_code == PLATFORM_CODE


def test_unknown_code_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound, match="4401969999"):
        service.get_by_code(session, "4401969999")
    with pytest.raises(NotFound):
        service.suspend(session, "4401969999", "x")


def test_list_filters_by_role_and_status(session: Session) -> None:
    service.file_enterprise(session, filing(PLATFORM_CODE, 1, roles=["platform", "ecommerce"]))
    service.file_enterprise(session, filing(EBC_CODE, 2, roles=["ecommerce"]))
    service.file_enterprise(session, filing(PAY_CODE, 3, roles=["payment"]))
    service.suspend(session, EBC_CODE, "late receipts")

    def codes(**filters: str) -> list[str]:
        return [e.customs_code for e in service.list_enterprises(session, **filters)]

    assert codes() == [PLATFORM_CODE, EBC_CODE, PAY_CODE]
    assert codes(role="ecommerce") == [PLATFORM_CODE, EBC_CODE]
    assert codes(status="suspended") == [EBC_CODE]
    assert codes(role="ecommerce", status="active") == [PLATFORM_CODE]
    assert codes(role="logistics") == []
    with pytest.raises(ValidationFailed) as raised:
        service.list_enterprises(session, role="bank", status="closed")
    assert [f.path for f in raised.value.fields] == ["role", "status"]
