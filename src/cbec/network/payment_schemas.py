"""Shapes of the payment-company report and of the verification requests (the API edge)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import ConfigDict, Field

from cbec.schemas import CamelModel


class ThresholdsIn(CamelModel):
    """What counts as paid "before" or "long after" the order, what is a recent filing,
    and from which score a payment company is flagged."""

    model_config = ConfigDict(extra="forbid")

    early_minutes: int = Field(60, ge=0, le=10_080, description="paid this long before the order")
    late_hours: int = Field(72, ge=1, le=8_760, description="paid this long after the order")
    recent_days: int = Field(180, ge=1, le=3_650, description="filed within this many days")
    flag_score: float = Field(50.0, ge=0, le=100, description="flag companies from this score")


class PartnerOut(CamelModel):
    """A platform or e-commerce enterprise a payment company's payments go to."""

    code: str
    name: str
    role: str
    payments: int
    amount: Decimal
    share: float
    concerns: list[str]


class ComponentOut(CamelModel):
    """One part of the score: its weight, its value (0..1), the points it gives, why."""

    name: str
    weight: float
    value: float
    points: float
    explanation: str


class PaymentCompanyOut(CamelModel):
    code: str
    name: str
    filing_date: date | None
    status: str | None
    payments: int
    amount: Decimal
    matched: int
    platforms: int
    ecommerce_enterprises: int
    #: share of its platforms and e-commerce enterprises flagged or unverified
    partners_flagged_or_unverified: float
    partners_recently_filed: float
    top_platform_share: float
    buyer_not_payer: float
    paid_before_order: float
    paid_long_after: float
    amount_mismatch: float
    without_order: float
    suspicious: int
    score: float
    explanations: list[str]
    components: list[ComponentOut]
    partners: list[PartnerOut]


class PaymentReportOut(CamelModel):
    """Payment companies ranked by score, highest first."""

    as_of: date
    thresholds: ThresholdsIn
    companies: list[PaymentCompanyOut]


class FlaggedOut(CamelModel):
    code: str
    score: float
    flag_id: int
    reason: str


class FlagRunOut(CamelModel):
    """The payment companies flagged (source ``payment``, kind ``payment_concentration``)."""

    threshold: float
    flagged: list[FlaggedOut]


class VerificationRequestOut(CamelModel):
    """One transaction the competent authority is asked to verify: what identifies it,
    the amounts and times, and why. The payer's and buyer's ID numbers keep their last
    4 characters and names their surname: enough to match, no more."""

    pay_transaction_id: str
    order_no: str
    ebp_code: str
    ebp_name: str
    ebc_code: str | None
    amount_paid: Decimal
    order_paid: Decimal | None
    currency: str
    pay_time: datetime | None
    order_time: datetime | None
    payer_id: str
    payer_name: str
    buyer_id: str | None
    payer_is_buyer: bool | None
    reasons: list[str]
    reason_text: str


class VerificationExportOut(CamelModel):
    pay_code: str
    pay_name: str
    generated_at: datetime
    as_of: date
    score: float
    explanations: list[str]
    thresholds: ThresholdsIn
    requests: list[VerificationRequestOut]
