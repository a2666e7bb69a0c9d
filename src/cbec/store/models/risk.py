"""Risk control: the aggregates behind the real-time features, external results other
packages write (flags, enterprise classes), analyst rule sets and their hits, one risk
assessment per declaration, control instructions, and anti-smuggling cases with the labels
their outcomes give.

The aggregates (``risk_counters``, ``risk_links``) are maintained in the same transaction
as the decision they feed, so that scoring a list reads a few indexed rows instead of
scanning history. Identities (buyer, payer, address, phone) in them are pseudonyms
(keyed digests, see :mod:`cbec.risk.features`), never the personal data itself.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cbec.store.models.base import Base, BigIntPK, UTCDateTime, utcnow


class RiskCounter(Base):
    """A count and an amount (in cents) per kind, key and bucket: a buyer's lists per day
    (``bl``), lists a buyer had paid by someone else (``bpd``), unit prices of an HS code
    per price bin (``hp``)."""

    __tablename__ = "risk_counters"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)
    cents: Mapped[int] = mapped_column(BigInteger, default=0)


class RiskLink(Base):
    """One pair seen together (buyer -> address, address -> buyer, payer -> buyer, ...):
    distinct counts are counts of these rows under a prefix of the primary key."""

    __tablename__ = "risk_links"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    a: Mapped[str] = mapped_column(String(64), primary_key=True)
    b: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_seen: Mapped[date] = mapped_column(Date)


class RiskFlag(Base):
    """An external result about an identity or an enterprise: a platform's failed
    identity verification, a payment company's suspicious-payment flag, consumer
    monitoring (identity misuse), an analyst's note. Written by other packages."""

    __tablename__ = "risk_flags"
    __table_args__ = (Index("ix_risk_flags_subject", "subject_kind", "subject_key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    #: ``identity`` (a resident ID number: buyer or payer) or ``enterprise`` (customs code)
    subject_kind: Mapped[str] = mapped_column(String(16))
    #: the customs code; for an identity the blind index of the ID number
    #: (:func:`cbec.privacy.blind_id`), never the number itself
    subject_key: Mapped[str] = mapped_column(String(60))
    #: what screens show of the subject: the masked ID number of an identity, or ""
    subject_label: Mapped[str] = mapped_column(String(60), default="")
    #: who says so: ``platform``, ``payment``, ``consumer``, ``analyst``, ``network``, ...
    source: Mapped[str] = mapped_column(String(16))
    #: what: ``identity_unverified``, ``suspicious_payment``, ``identity_misuse``, ...
    kind: Mapped[str] = mapped_column(String(40))
    #: 0..1, how strongly
    score: Mapped[float] = mapped_column(Float, default=1.0)
    reason: Mapped[str] = mapped_column(Text, default="")
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))


class EnterpriseClass(Base):
    """An enterprise's credit / risk class (A advanced, B general, C untrusted, D ...) from
    its portrait, valid over a window; the latest valid one applies."""

    __tablename__ = "risk_enterprise_classes"
    __table_args__ = (Index("ix_risk_enterprise_classes_code", "enterprise_code", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    enterprise_code: Mapped[str] = mapped_column(String(18))
    class_code: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(32))
    score: Mapped[float | None] = mapped_column(Float, default=None)
    reason: Mapped[str] = mapped_column(Text, default="")
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    #: the sampling rates of the class, stamped when a portrait class is published (None:
    #: a class without rates, which clearance does not sample by): manual review, X-ray
    #: and open inspection, and a JSON map business-site class -> inspection cap
    review_rate: Mapped[float | None] = mapped_column(Float, default=None)
    xray_rate: Mapped[float | None] = mapped_column(Float, default=None)
    open_rate: Mapped[float | None] = mapped_column(Float, default=None)
    inspection_caps: Mapped[str | None] = mapped_column(Text, default=None)


class RuleSet(Base):
    """Analyst rules, versioned together: draft (editable, may run in the shadow of live
    traffic) -> published (live, immutable) -> retired."""

    __tablename__ = "risk_rule_sets"
    __table_args__ = (Index("ix_risk_rule_sets_status", "status", "shadow"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="draft")
    #: a draft evaluated on live traffic, its hits recorded, without effect on decisions
    shadow: Mapped[bool] = mapped_column(Boolean, default=False)
    #: bumped at every change of a draft, so that running assessors reload it
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    published_by: Mapped[str | None] = mapped_column(String(64), default=None)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    retired_by: Mapped[str | None] = mapped_column(String(64), default=None)


class Rule(Base):
    """One rule of a set: a JSON expression tree over features and declaration fields,
    a scope, an effective window, an action and a score."""

    __tablename__ = "risk_rules"
    __table_args__ = (UniqueConstraint("rule_set_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule_set_id: Mapped[int] = mapped_column(ForeignKey("risk_rule_sets.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(Text, default="")
    #: the expression tree, canonical JSON
    expression: Mapped[str] = mapped_column(Text)
    #: {"enterprises": [...], "hsChapters": [...], "ports": [...], "tradeModes": [...]}
    scope: Mapped[str] = mapped_column(Text, default="{}")
    effective_from: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    effective_to: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    #: review, xray, open_inspection, hold, case_clue
    action: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float, default=0.0)


class RiskAssessment(Base):
    """What risk control saw of one list when clearance decided it: the feature values,
    the identities and enterprises it links (for case evidence) and the scores."""

    __tablename__ = "risk_assessments"
    __table_args__ = (Index("ix_risk_assessments_declaration", "declaration_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: JSON object of feature name -> value
    features: Mapped[str] = mapped_column(Text)
    #: JSON object: buyer, payer, consignee phone / address, enterprise codes
    subjects: Mapped[str] = mapped_column(Text, default="{}")
    #: the learned model's score (None without a model)
    model_score: Mapped[float | None] = mapped_column(Float, default=None)
    #: sum of the scores of the live rules that hit
    rules_score: Mapped[float] = mapped_column(Float, default=0.0)


class RuleHit(Base):
    """One rule, control instruction or model score that fired on one list, with the
    values that made it fire. Shadow hits are recorded the same way, marked ``shadow``."""

    __tablename__ = "risk_hits"
    __table_args__ = (
        Index("ix_risk_hits_rule_set", "rule_set_id", "id"),
        Index("ix_risk_hits_declaration", "declaration_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id"))
    #: ``rule``, ``instruction`` or ``model``
    source: Mapped[str] = mapped_column(String(12))
    rule_set_id: Mapped[int | None] = mapped_column(
        ForeignKey("risk_rule_sets.id", ondelete="CASCADE"), default=None
    )
    instruction_id: Mapped[int | None] = mapped_column(
        ForeignKey("risk_control_instructions.id"), default=None
    )
    rule_name: Mapped[str] = mapped_column(String(64))
    #: ``live`` (acted on) or ``shadow`` (recorded only)
    mode: Mapped[str] = mapped_column(String(8))
    action: Mapped[str] = mapped_column(String(16))
    score: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(Text, default="")
    #: JSON object: the features and fields the rule read, with their values
    values: Mapped[str] = mapped_column(Text, default="{}")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ControlInstruction(Base):
    """An order from a risk analyst to stop or look at matching lists: by enterprise,
    buyer identity, HS code (or its prefix), waybill number or list number."""

    __tablename__ = "risk_control_instructions"
    __table_args__ = (
        Index("ix_risk_control_instructions_target", "status", "target_kind", "target_value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: enterprise, buyer, hs_code, logistics_no, list
    target_kind: Mapped[str] = mapped_column(String(16))
    #: for a buyer the blind index of the ID number (:func:`cbec.privacy.blind_id`)
    target_value: Mapped[str] = mapped_column(String(60))
    #: what screens show of the target: the masked ID number of a buyer, or ""
    target_label: Mapped[str] = mapped_column(String(60), default="")
    #: review, xray, open_inspection, hold
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    #: active or lifted
    status: Mapped[str] = mapped_column(String(8), default="active")
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by: Mapped[str] = mapped_column(String(64))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    lifted_by: Mapped[str | None] = mapped_column(String(64), default=None)


class Case(Base):
    """A case clue for the anti-smuggling department: open -> investigating -> closed with
    an outcome."""

    __tablename__ = "risk_cases"
    __table_args__ = (
        Index("ix_risk_cases_status", "status", "id"),
        Index("ix_risk_cases_subject", "source", "subject_key", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    #: rule (a case-clue hit), seizure (an inspector's seizure) or manual
    source: Mapped[str] = mapped_column(String(16))
    #: what the case is about (a pseudonymous buyer, a list): one open case per subject
    subject_key: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by: Mapped[str] = mapped_column(String(64))
    assignee: Mapped[str | None] = mapped_column(String(64), default=None)
    #: confirmed, unfounded, inconclusive (closed cases)
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    closing_note: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_by: Mapped[str | None] = mapped_column(String(64), default=None)


class CaseEvidence(Base):
    """One piece of a case's evidence: a declaration, a document, a rule hit, an identity
    or an enterprise."""

    __tablename__ = "risk_case_evidence"
    __table_args__ = (UniqueConstraint("case_id", "kind", "ref"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("risk_cases.id", ondelete="CASCADE"))
    #: declaration, document, hit, identity, enterprise
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(255))
    #: JSON object describing it
    details: Mapped[str] = mapped_column(Text, default="{}")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseLabel(Base):
    """A label for model training: what a closed case found about one of its lists
    (1 fraud confirmed, 0 unfounded)."""

    __tablename__ = "risk_labels"
    __table_args__ = (Index("ix_risk_labels_declaration", "declaration_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id"))
    label: Mapped[int] = mapped_column(SmallInteger)
    #: case (a closed case's outcome)
    source: Mapped[str] = mapped_column(String(16))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("risk_cases.id"), default=None)
    outcome: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
