"""``/api/v1/enterprises``: the enterprise registry over HTTP.

Filing, amending, status changes and keys are for the customs administrator
(``Authorization: Bearer <CBEC_ADMIN_TOKEN>``, a stand-in until officer accounts exist);
an enterprise reads its own filing at ``/enterprises/me`` with its API key. Routes that
write commit before answering: nothing is acknowledged before it is stored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from cbec.bounds import Cursor
from cbec.deps import AdminDep, EnterpriseDep, SessionDep
from cbec.registry import service
from cbec.registry.roles import Role, Status
from cbec.registry.schemas import (
    EnterpriseAmend,
    EnterpriseFiling,
    EnterpriseOut,
    FiledEnterprise,
    KeyInfo,
    KeyOut,
    SignatureKeyFiling,
    SignatureKeyOut,
    SignaturePolicyChange,
    StatusChange,
)

router = APIRouter(prefix="/api/v1", tags=["registry"])


@router.post("/enterprises", status_code=201)
def file_enterprise(
    filing: EnterpriseFiling, session: SessionDep, _admin: AdminDep
) -> FiledEnterprise:
    """File a new enterprise with customs, active from now, and issue its first API key.

    The answer carries the key (`apiKey`) this once: customs keeps only its hash.
    400 names each field and rule broken (customs code of 10 characters 0-9/A-Z, USCC
    check digit, known roles, name of 1-200 characters); 409 names the customs code or
    USCC already filed.
    """
    enterprise, key = service.file_enterprise(session, filing)
    session.commit()
    return FiledEnterprise.of_filing(enterprise, key)


@router.get("/enterprises")
def list_enterprises(
    session: SessionDep,
    _admin: AdminDep,
    role: Annotated[Role | None, Query(description="only enterprises holding this role")] = None,
    status: Annotated[Status | None, Query(description="only enterprises in this status")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000, description="at most this many")] = 1000,
    offset: Annotated[Cursor, Query(description="skip this many first")] = 0,
) -> list[EnterpriseOut]:
    """Filed enterprises in customs-code order, optionally by role and status."""
    found = service.list_enterprises(session, role=role, status=status, limit=limit, offset=offset)
    return [EnterpriseOut.of(e) for e in found]


@router.get("/enterprises/me")
def my_filing(enterprise: EnterpriseDep) -> EnterpriseOut:
    """The calling enterprise's own filing (authenticated with its API key): its roles,
    its status and why it last changed."""
    return EnterpriseOut.of(enterprise)


@router.get("/enterprises/me/signature-keys")
def my_signature_keys(session: SessionDep, enterprise: EnterpriseDep) -> list[SignatureKeyOut]:
    """The calling enterprise's filed signature keys (names, algorithms, fingerprints)."""
    keys = service.list_signature_keys(session, enterprise.customs_code)
    return [SignatureKeyOut.of(k) for k in keys]


@router.post("/enterprises/me/signature-keys", status_code=201)
def file_my_signature_key(
    filing: SignatureKeyFiling, session: SessionDep, enterprise: EnterpriseDep
) -> SignatureKeyOut:
    """File a public key for the XML-DSig signatures of the calling enterprise's messages
    (PEM; SM2 keys as SubjectPublicKeyInfo). Its messages name it in ds:KeyInfo/ds:KeyName.
    400 names a bad algorithm or key; 409 a name already used for another key."""
    key = service.file_signature_key(session, enterprise.customs_code, filing)
    session.commit()
    return SignatureKeyOut.of(key)


@router.delete("/enterprises/me/signature-keys/{key_name}")
def revoke_my_signature_key(
    key_name: str, session: SessionDep, enterprise: EnterpriseDep
) -> SignatureKeyOut:
    """Revoke one of the calling enterprise's signature keys (e.g. a leaked one)."""
    key = service.revoke_signature_key(session, enterprise.customs_code, key_name)
    session.commit()
    return SignatureKeyOut.of(key)


@router.get("/enterprises/{code}")
def show_enterprise(code: str, session: SessionDep, _admin: AdminDep) -> EnterpriseOut:
    """One filed enterprise by customs code (404 if none is filed under it)."""
    return EnterpriseOut.of(service.get_by_code(session, code))


@router.patch("/enterprises/{code}")
def amend_enterprise(
    code: str, changes: EnterpriseAmend, session: SessionDep, _admin: AdminDep
) -> EnterpriseOut:
    """Amend the name, USCC or roles of a filed enterprise (`roles` replaces the whole
    set). A revoked enterprise cannot be amended (409)."""
    enterprise = service.amend(session, code, changes)
    session.commit()
    return EnterpriseOut.of(enterprise)


@router.post("/enterprises/{code}/suspend")
def suspend_enterprise(
    code: str, change: StatusChange, session: SessionDep, _admin: AdminDep
) -> EnterpriseOut:
    """Suspend an active enterprise; the reason is kept and shown to the enterprise."""
    enterprise = service.suspend(session, code, change.reason)
    session.commit()
    return EnterpriseOut.of(enterprise)


@router.post("/enterprises/{code}/reinstate")
def reinstate_enterprise(
    code: str, session: SessionDep, _admin: AdminDep, change: StatusChange | None = None
) -> EnterpriseOut:
    """Make a suspended enterprise active again (the reason is optional). A revoked one
    cannot be reinstated (409)."""
    enterprise = service.reinstate(session, code, change.reason if change else None)
    session.commit()
    return EnterpriseOut.of(enterprise)


@router.post("/enterprises/{code}/revoke")
def revoke_enterprise(
    code: str, change: StatusChange, session: SessionDep, _admin: AdminDep
) -> EnterpriseOut:
    """Revoke a filing for good: every API key of the enterprise stops working, and it
    cannot be amended or reinstated afterwards."""
    enterprise = service.revoke(session, code, change.reason)
    session.commit()
    return EnterpriseOut.of(enterprise)


@router.get("/enterprises/{code}/keys")
def list_keys(code: str, session: SessionDep, _admin: AdminDep) -> list[KeyInfo]:
    """The API keys of an enterprise: ids and dates, never secrets."""
    return [KeyInfo.of(k) for k in service.list_keys(session, code)]


@router.post("/enterprises/{code}/keys", status_code=201)
def issue_key(code: str, session: SessionDep, _admin: AdminDep) -> KeyOut:
    """Issue another API key (for rotation: revoke the old one once the new one is in use).

    The answer carries the key this once. A revoked enterprise gets no key (409).
    """
    key = service.issue_key(session, code)
    session.commit()
    return KeyOut(customs_code=code, key_id=key.key_id, api_key=key.token)


@router.delete("/enterprises/{code}/keys/{key_id}")
def revoke_key(code: str, key_id: str, session: SessionDep, _admin: AdminDep) -> KeyInfo:
    """Revoke one API key: requests signed with it are refused (401) from now on."""
    key = service.revoke_key(session, code, key_id)
    session.commit()
    return KeyInfo.of(key)


@router.get("/enterprises/{code}/signature-keys")
def list_signature_keys(code: str, session: SessionDep, _admin: AdminDep) -> list[SignatureKeyOut]:
    """An enterprise's filed signature keys."""
    return [SignatureKeyOut.of(k) for k in service.list_signature_keys(session, code)]


@router.post("/enterprises/{code}/signature-keys", status_code=201)
def file_signature_key(
    code: str, filing: SignatureKeyFiling, session: SessionDep, _admin: AdminDep
) -> SignatureKeyOut:
    """File a signature key for an enterprise (as customs, e.g. from its certificate)."""
    key = service.file_signature_key(session, code, filing)
    session.commit()
    return SignatureKeyOut.of(key)


@router.delete("/enterprises/{code}/signature-keys/{key_name}")
def revoke_signature_key(
    code: str, key_name: str, session: SessionDep, _admin: AdminDep
) -> SignatureKeyOut:
    """Revoke an enterprise's signature key: its signatures no longer verify."""
    key = service.revoke_signature_key(session, code, key_name)
    session.commit()
    return SignatureKeyOut.of(key)


@router.put("/enterprises/{code}/signature-policy")
def set_signature_policy(
    code: str, change: SignaturePolicyChange, session: SessionDep, _admin: AdminDep
) -> EnterpriseOut:
    """What intake does with the signatures of the enterprise's declared messages
    (appStatus 2): ``off``, ``warn`` (a failure is noted in the receipt and accepted) or
    ``enforce`` (a failure rejects the message, naming the rule)."""
    enterprise = service.set_signature_policy(session, code, change.policy)
    session.commit()
    return EnterpriseOut.of(enterprise)
