"""Shapes of the registry at the edge (API bodies, CLI ``--json``, the registry file).

JSON keys are camelCase like the CEB messages (``customsCode``, ``filingDate``); snake_case
is accepted on input too. These shapes only check types: the registry's own rules (code
format, USCC check digit, roles, uniqueness) live in :mod:`cbec.registry.service`, so the
API, the CLI and the file import report them the same way.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Self, TypeVar

from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError

from cbec.errors import FieldError, ValidationFailed
from cbec.registry.credentials import IssuedKey
from cbec.schemas import CamelModel, InputModel
from cbec.store.models import ApiCredential, Enterprise
from cbec.store.models.enterprise import SignatureKey

#: Filing dates are customs dates: Beijing time (China has no daylight saving time).
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

#: The ``format`` tag of a registry file (``cbec sim`` writes it, ``cbec registry import``
#: reads it).
REGISTRY_FORMAT = "cbec-registry/1"

_ROLES_DOC = "platform, ecommerce, payment, logistics, agent, area"


def beijing_today() -> date:
    """Today's date in Beijing, the default filing date."""
    return datetime.now(UTC).astimezone(BEIJING).date()


# --- input --------------------------------------------------------------------------------


class _Enterprise(InputModel):
    customs_code: str = Field(
        description="10-character customs registration code, 0-9 and A-Z",
        examples=["4401960001"],
    )
    uscc: str = Field(
        description="18-character unified social credit code (GB 32100)",
        examples=["91440101MA5CYN2K0R"],
    )
    name: str = Field(description="registered name, 1 to 200 characters")
    roles: list[str] = Field(description=f"one or more of: {_ROLES_DOC}", examples=[["platform"]])


class EnterpriseFiling(_Enterprise):
    """A new enterprise to file with customs."""

    filing_date: date = Field(
        default_factory=beijing_today, description="date of filing (default: today, Beijing)"
    )


class EnterpriseAmend(InputModel):
    """Changes to a filed enterprise; fields left out stay as they are."""

    name: str | None = Field(default=None, description="new registered name")
    uscc: str | None = Field(default=None, description="corrected unified social credit code")
    roles: list[str] | None = Field(
        default=None, description=f"the complete new set of roles: {_ROLES_DOC}"
    )


class StatusChange(InputModel):
    """Why an enterprise's status changes (kept on the enterprise as its status reason)."""

    reason: str = Field(description="the reason, as it will be shown to the enterprise")


class SignatureKeyFiling(InputModel):
    """A public key an enterprise files for the XML-DSig signatures of its messages."""

    key_name: str | None = Field(
        default=None,
        description="the name its messages give in ds:KeyInfo/ds:KeyName (default: the "
        "first 16 hex digits of the key's fingerprint); 1 to 64 characters",
    )
    algorithm: str = Field(description="sm2-sm3, rsa-sha256 or ecdsa-sha256")
    public_key: str = Field(
        description="PEM SubjectPublicKeyInfo (or, for RSA and ECDSA, an X.509 certificate)"
    )


class SignaturePolicyChange(InputModel):
    """What intake does with the signatures of an enterprise's declared messages."""

    policy: str = Field(description="off, warn or enforce")


class RegistryEntry(_Enterprise):
    """One enterprise in a registry file (the ``enterprises`` list of ``cbec-registry/1``).

    Unlike a filing, a missing ``filingDate`` leaves an already filed enterprise's date
    alone (a new one is filed today), and ``status`` is applied.
    """

    filing_date: date | None = None
    status: str = Field(default="active", description="active, suspended or revoked")
    status_reason: str | None = None
    signature_policy: str | None = Field(
        default=None, description="off, warn or enforce (left out: unchanged; new: off)"
    )
    signature_keys: list[SignatureKeyFiling] = Field(
        default_factory=list,
        description="keys to file; keys already filed under the same name are left alone",
    )


# --- output -------------------------------------------------------------------------------


class SignatureKeyOut(CamelModel):
    """A filed signature key (the public key itself is not echoed)."""

    key_name: str
    algorithm: str
    fingerprint: str = Field(description="SHA-256 of the PEM text without whitespace")
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: SignatureKey) -> Self:
        return cls(
            key_name=key.key_name,
            algorithm=key.algorithm,
            fingerprint=key.fingerprint,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
        )


class EnterpriseOut(CamelModel):
    """A filed enterprise as customs holds it."""

    customs_code: str
    uscc: str
    name: str
    roles: list[str]
    status: str = Field(description="active, suspended or revoked")
    status_reason: str | None = Field(description="why the status last changed")
    signature_policy: str = Field(
        default="off", description="signatures of declared messages: off, warn or enforce"
    )
    filing_date: date
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, enterprise: Enterprise) -> Self:
        return cls(
            customs_code=enterprise.customs_code,
            uscc=enterprise.uscc,
            name=enterprise.name,
            roles=enterprise.role_names,
            status=enterprise.status,
            status_reason=enterprise.status_reason,
            signature_policy=enterprise.signature_policy or "off",
            filing_date=enterprise.filing_date,
            created_at=enterprise.created_at,
            updated_at=enterprise.updated_at,
        )


class FiledEnterprise(EnterpriseOut):
    """A newly filed enterprise with its first API key. ``apiKey`` is shown only this once."""

    key_id: str = Field(description="public id of the key (part of the key itself)")
    api_key: str = Field(description="the API key: cbec_<keyId>_<secret>; store it now")

    @classmethod
    def of_filing(cls, enterprise: Enterprise, key: IssuedKey) -> Self:
        out = EnterpriseOut.of(enterprise)
        return cls(**out.model_dump(by_alias=False), key_id=key.key_id, api_key=key.token)


class KeyOut(CamelModel):
    """A newly issued API key. ``apiKey`` is shown only this once."""

    customs_code: str
    key_id: str
    api_key: str = Field(description="the API key: cbec_<keyId>_<secret>; store it now")


class KeyInfo(CamelModel):
    """An API key as customs keeps it: its id and dates, never the secret."""

    key_id: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, credential: ApiCredential) -> Self:
        return cls(
            key_id=credential.key_id,
            created_at=credential.created_at,
            revoked_at=credential.revoked_at,
        )


# --- pydantic errors as field errors ------------------------------------------------------


def _path(prefix: str, loc: tuple[int | str, ...]) -> str:
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


#: Pydantic error types renamed to the rule names the message codec reports.
_RULES = {
    "missing": "required",
    "extra_forbidden": "unknown-field",
    "string_type": "text",
    "list_type": "list",
    "model_type": "object",
}


def field_errors(exc: PydanticValidationError, prefix: str = "") -> list[FieldError]:
    """Pydantic's errors as :class:`FieldError` s, paths like ``enterprises[3].roles[0]``."""
    return [
        FieldError(
            path=_path(prefix, tuple(e["loc"])) or "(root)",
            rule=_RULES.get(e["type"], e["type"]),
            message=e["msg"],
        )
        for e in exc.errors(include_url=False)
    ]


Model = TypeVar("Model", bound=BaseModel)


def parse(model: type[Model], data: Any, *, prefix: str = "") -> Model:
    """Validate ``data`` as ``model``; :class:`ValidationFailed` naming each path and rule."""
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        raise ValidationFailed(
            f"invalid {model.__name__}", fields=field_errors(exc, prefix)
        ) from None
