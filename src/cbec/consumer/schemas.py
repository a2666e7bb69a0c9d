"""Shapes of the consumer self-service."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator

from cbec.schemas import CamelModel


def _id_number(value: str) -> str:
    """An ID number as lists carry it: a final check character ``x`` is ``X``."""
    return value.upper()


class QuotaQuery(CamelModel):
    """Who asks: the name, ID number and phone on the lists declared for them (blanks
    around them, as a form or an app may add, are not part of them)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=60)
    id_number: str = Field(min_length=15, max_length=18)
    phone: str = Field(min_length=5, max_length=30)
    year: int | None = Field(default=None, ge=2016, le=2100)

    _upper = field_validator("id_number")(_id_number)


class ListSummary(CamelModel):
    invt_no: str | None
    decl_date: date
    platform: str
    ebc_code: str
    goods: list[str]
    value: Decimal | None
    tax: Decimal | None
    status: int
    status_text: str
    counted: bool
    #: the latest dispute of this list by the identity holder: open, confirmed, rejected
    dispute: str | None = None
    #: taken out of the quota for good (a confirmed dispute)
    excluded: bool = False
    consignee_address: str
    consignee_phone: str


class QuotaAnswer(CamelModel):
    year: int
    annual_limit: Decimal
    used: Decimal
    remaining: Decimal
    #: value of the year's lists taken out of the quota by confirmed disputes
    restored: Decimal = Decimal(0)
    buyer: str
    lists: list[ListSummary]


class IdentityProof(CamelModel):
    """Who asks: the name, ID number and phone on lists declared under the identity."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=60)
    id_number: str = Field(min_length=15, max_length=18)
    phone: str = Field(min_length=5, max_length=30)

    _upper = field_validator("id_number")(_id_number)


class DisputeIn(IdentityProof):
    """ "Not me": the lists (by list number, as the quota answer shows them) that the
    identity holder did not make, and what they want to say."""

    lists: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        min_length=1, max_length=50
    )
    statement: str = Field(default="", max_length=1000)


class DisputedList(CamelModel):
    invt_no: str
    platform: str
    ebc_code: str
    value: Decimal | None


class DisputeOut(CamelModel):
    """A dispute as its author and the officers see it (the ID number masked)."""

    id: int
    status: str
    buyer: str
    lists: list[DisputedList]
    statement: str
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    decision_reason: str
    #: value given back to the annual quota (confirmed disputes)
    restored: Decimal | None


class DisputeDecision(CamelModel):
    """An officer's decision on a dispute: confirm (the lists stop counting against the
    identity holder's quota) or reject, and why."""

    model_config = ConfigDict(extra="forbid")

    confirm: bool
    reason: str = Field(min_length=1, max_length=1000)


class NoticeOptIn(IdentityProof):
    """Opt in to a notice each time a list is declared under the identity."""

    channel: Literal["sms", "email"]
    contact: str = Field(min_length=3, max_length=120)


class SubscriptionOut(CamelModel):
    channel: str
    contact: str
    active: bool
    since: datetime


class NoticeOut(CamelModel):
    """One notice: a list declared under the identity (what the consumer needs to
    recognise it, or to dispute it)."""

    created_at: datetime
    decl_date: date
    platform: str
    order_no: str
    invt_no: str | None
    status: str


class NoticesAnswer(CamelModel):
    buyer: str
    subscription: SubscriptionOut | None
    notices: list[NoticeOut]
