"""Shapes of the risk API (and of the rule files ``cbec risk rules`` reads: the same JSON)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    ConfigDict,
    Field,
    JsonValue,
    ValidationInfo,
    field_validator,
    model_validator,
)

from cbec.privacy import mask_address, mask_id, mask_phone, scrub
from cbec.risk.rules import INSTRUCTION_ACTIONS, Action
from cbec.schemas import CamelModel, InputModel
from cbec.store.models import (
    Case,
    CaseEvidence,
    ControlInstruction,
    RiskFlag,
    Rule,
    RuleSet,
    utcnow,
)

RuleName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
Chapter = Annotated[str, Field(pattern=r"^[0-9]{2}$")]
Code = Annotated[str, Field(min_length=1, max_length=18)]


def _scrubbed(value: str) -> str:
    """Free text an officer writes (an instruction's reason, a rule's description) with
    resident ID and mobile numbers masked: it becomes a reason on every list the
    instruction stops or the rule hits, which every officer reads."""
    return scrub(value)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("give a UTC offset, e.g. 2026-11-11T00:00:00+08:00")
    return value


def _after_from(value: datetime | None, info: ValidationInfo) -> datetime | None:
    """``validTo`` after ``validFrom``: an instruction, flag or class valid from after it
    ends would never be in force, while listed as active."""
    value = _aware(value)
    start = info.data.get("valid_from")
    if value is not None and start is not None and value <= start:
        raise ValueError("validTo must come after validFrom")
    return value


def _ahead(value: datetime | None, info: ValidationInfo) -> datetime | None:
    """An instruction's ``validTo`` after ``validFrom`` and not already past: an
    instruction that has ended would stop no list, while listed as active."""
    value = _after_from(value, info)
    if value is not None and value <= utcnow():
        raise ValueError("validTo is already past: the instruction would never be in force")
    return value


class ScopeIn(InputModel):
    """Which lists a rule looks at (empty: all)."""

    enterprises: list[Code] = Field(default_factory=list, max_length=1000)
    hs_chapters: list[Chapter] = Field(default_factory=list, max_length=100)
    ports: list[Annotated[str, Field(pattern=r"^[0-9]{4}$")]] = Field(default_factory=list)
    trade_modes: list[Literal["9610", "1210", "1239"]] = Field(default_factory=list)


class RuleIn(InputModel):
    """One analyst rule. ``when`` is an expression tree, e.g.
    ``{"<": [{"feature": "unit_price_ratio"}, 0.3]}`` (see ``GET /api/v1/risk/features``)."""

    name: RuleName
    description: str = Field(default="", max_length=500)
    when: JsonValue
    action: Action
    score: float = Field(default=0.0, ge=0, le=100)
    scope: ScopeIn = Field(default_factory=ScopeIn)
    effective_from: datetime | None = None
    effective_to: datetime | None = None

    _check_from = field_validator("effective_from")(_aware)
    _check_to = field_validator("effective_to")(_aware)
    _mask_description = field_validator("description")(_scrubbed)

    @model_validator(mode="after")
    def _window(self) -> RuleIn:
        if self.effective_from and self.effective_to and self.effective_to <= self.effective_from:
            raise ValueError("effectiveTo must come after effectiveFrom")
        return self


class RuleSetIn(InputModel):
    """A rule set as an analyst writes it (a draft until published)."""

    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=2000)
    rules: list[RuleIn] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _unique_names(self) -> RuleSetIn:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.name in seen:
                raise ValueError(f"two rules are called {rule.name!r}; names are unique in a set")
            seen.add(rule.name)
        return self


class RuleOut(CamelModel):
    name: str
    description: str
    when: JsonValue
    action: str
    score: float
    scope: dict[str, list[str]]
    effective_from: datetime | None
    effective_to: datetime | None

    @classmethod
    def of(cls, rule: Rule) -> RuleOut:
        return cls(
            name=rule.name,
            description=scrub(rule.description),  # stored in clear before it was masked
            when=json.loads(rule.expression),
            action=rule.action,
            score=rule.score,
            scope=json.loads(rule.scope or "{}"),
            effective_from=rule.effective_from,
            effective_to=rule.effective_to,
        )


class RuleSetOut(CamelModel):
    id: int
    name: str
    description: str
    status: str
    shadow: bool
    revision: int
    created_at: datetime
    created_by: str
    published_at: datetime | None
    published_by: str | None
    retired_at: datetime | None
    retired_by: str | None
    live_hits: int = 0
    shadow_hits: int = 0
    rules: list[RuleOut] = Field(default_factory=list)

    @classmethod
    def of(cls, rule_set: RuleSet, rules: list[Rule], hits: dict[str, int]) -> RuleSetOut:
        return cls(
            id=rule_set.id,
            name=rule_set.name,
            description=rule_set.description,
            status=rule_set.status,
            shadow=rule_set.shadow,
            revision=rule_set.revision,
            created_at=rule_set.created_at,
            created_by=rule_set.created_by,
            published_at=rule_set.published_at,
            published_by=rule_set.published_by,
            retired_at=rule_set.retired_at,
            retired_by=rule_set.retired_by,
            live_hits=hits.get("live", 0),
            shadow_hits=hits.get("shadow", 0),
            rules=[RuleOut.of(r) for r in rules],
        )


class ValidationOut(CamelModel):
    valid: bool
    problems: list[dict[str, str]] = Field(default_factory=list)


class ShadowIn(InputModel):
    on: bool


class BacktestIn(InputModel):
    since: date | None = None
    until: date | None = None


class RuleFiguresOut(CamelModel):
    rule: str
    action: str
    hits: int
    inspected: int
    seized: int
    seizure_rate: float | None
    value: Decimal
    tax: Decimal


class BacktestOut(CamelModel):
    """What a rule set would have hit over history (effective windows ignored)."""

    rule_set_id: int
    since: date | None
    until: date | None
    lists: int
    positives: int
    hits: int
    hit_rate: float | None
    inspected: int
    seized: int
    seizure_rate: float | None
    recall: float | None
    value: Decimal
    tax: Decimal
    rules: list[RuleFiguresOut]


class HitOut(CamelModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    declaration_id: int
    invt_no: str | None
    source: str
    rule_set_id: int | None
    instruction_id: int | None
    rule_name: str
    mode: str
    action: str
    score: float
    message: str
    values: dict[str, Any]
    at: datetime


class AssessmentOut(CamelModel):
    invt_no: str
    at: datetime
    features: dict[str, Any]
    model_score: float | None
    rules_score: float
    hits: list[HitOut]


class SpecOut(CamelModel):
    name: str
    namespace: str
    kind: str
    description: str


#: the shape of a resident ID number (GB 11643; first-generation cards had 15 digits)
_RESIDENT_ID = re.compile(r"[0-9]{17}[0-9X]|[0-9]{15}")


class InstructionIn(InputModel):
    """A control instruction: what it targets, what to do, why."""

    target_kind: Literal["enterprise", "buyer", "hs_code", "logistics_no", "list"]
    target_value: str = Field(min_length=1, max_length=60)
    action: Action
    reason: str = Field(min_length=1, max_length=2000)
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    _check_from = field_validator("valid_from")(_aware)
    _check_to = field_validator("valid_to")(_ahead)
    _mask_reason = field_validator("reason")(_scrubbed)

    @field_validator("target_value")
    @classmethod
    def _buyer_id_number(cls, value: str, info: ValidationInfo) -> str:
        """A buyer is named by the resident ID number on the lists (15 or 18 characters,
        the last of 18 a digit or X; the check digit is not checked, so that lists carrying
        a forged number can be targeted): anything else would target no list, silently."""
        if info.data.get("target_kind") != "buyer":
            return value
        number = value.strip().upper()
        if not _RESIDENT_ID.fullmatch(number):
            raise ValueError(
                "a buyer target is a resident ID number: 18 characters (17 digits and a "
                "digit or X) or 15 digits"
            )
        return number

    @model_validator(mode="after")
    def _instruction(self) -> InstructionIn:
        if self.action not in INSTRUCTION_ACTIONS:
            raise ValueError(
                f"an instruction asks for {', '.join(INSTRUCTION_ACTIONS)}; "
                "a case clue is a rule's action"
            )
        if self.target_kind == "hs_code" and not (
            self.target_value.isdigit() and 2 <= len(self.target_value) <= 10
        ):
            raise ValueError("an HS code target is 2 to 10 digits (chapter to full code)")
        return self


class InstructionOut(CamelModel):
    id: int
    target_kind: str
    target_value: str
    action: str
    reason: str
    status: str
    valid_from: datetime | None
    valid_to: datetime | None
    issued_at: datetime
    issued_by: str
    lifted_at: datetime | None
    lifted_by: str | None
    #: lists already decided that the instruction changed when it was issued
    redecided: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, row: ControlInstruction, redecided: list[str] | None = None) -> InstructionOut:
        # a buyer is stored by blind index: screens show the masked number
        value = row.target_label if row.target_kind == "buyer" else row.target_value
        return cls(
            id=row.id,
            target_kind=row.target_kind,
            target_value=value,
            action=row.action,
            reason=scrub(row.reason),  # stored in clear before reasons were masked
            status=row.status,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            issued_at=row.issued_at,
            issued_by=row.issued_by,
            lifted_at=row.lifted_at,
            lifted_by=row.lifted_by,
            redecided=redecided or [],
        )


class LiftIn(InputModel):
    reason: str = Field(min_length=1, max_length=2000)

    _mask_reason = field_validator("reason")(_scrubbed)


class FlagIn(InputModel):
    """An external result about an identity (resident ID number) or an enterprise."""

    subject_kind: Literal["identity", "enterprise"]
    subject_key: str = Field(min_length=1, max_length=60)
    source: Annotated[str, Field(pattern=r"^[a-z_]{1,16}$")]
    kind: Annotated[str, Field(pattern=r"^[a-z0-9_.-]{1,40}$")]
    score: float = Field(default=1.0, ge=0, le=1)
    reason: str = Field(default="", max_length=2000)
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    _check_from = field_validator("valid_from")(_aware)
    _check_to = field_validator("valid_to")(_after_from)


class FlagOut(CamelModel):
    id: int
    subject_kind: str
    subject_key: str
    source: str
    kind: str
    score: float
    reason: str
    valid_from: datetime | None
    valid_to: datetime | None
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, flag: RiskFlag) -> FlagOut:
        # an identity is stored by blind index: screens show the masked number
        key = flag.subject_label if flag.subject_kind == "identity" else flag.subject_key
        return cls(
            id=flag.id,
            subject_kind=flag.subject_kind,
            subject_key=key,
            source=flag.source,
            kind=flag.kind,
            score=flag.score,
            reason=flag.reason,
            valid_from=flag.valid_from,
            valid_to=flag.valid_to,
            created_at=flag.created_at,
            created_by=flag.created_by,
        )


class ClassIn(InputModel):
    """An enterprise's supervision class (A, B, C or D; ``GET /api/v1/portrait/classes``):
    its lists are sampled at the class's rates."""

    enterprise_code: Code
    class_code: Annotated[str, Field(pattern=r"^[A-D]$")]
    source: str = Field(default="portrait", min_length=1, max_length=32)
    score: float | None = None
    reason: str = Field(default="", max_length=2000)
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    _check_from = field_validator("valid_from")(_aware)
    _check_to = field_validator("valid_to")(_after_from)


class EvidenceOut(CamelModel):
    kind: str
    ref: str
    details: dict[str, Any]
    added_at: datetime

    @classmethod
    def of(cls, item: CaseEvidence) -> EvidenceOut:
        ref = item.ref
        details = json.loads(item.details)
        if item.kind == "identity" and "label" in details:
            # stored by blind index or pseudonym, with the masked form to show
            ref = f"{ref.partition(':')[0]}:{details['label']}"
        elif item.kind == "identity":
            role, _, value = ref.partition(":")
            masked = (
                mask_phone(value)
                if role == "phone"
                else mask_address(value)
                if role == "address"
                else mask_id(value)
            )
            ref = f"{role}:{masked}"
        return cls(kind=item.kind, ref=ref, details=details, added_at=item.added_at)


class CaseOut(CamelModel):
    id: int
    status: str
    source: str
    title: str
    opened_at: datetime
    opened_by: str
    assignee: str | None
    outcome: str | None
    closing_note: str
    closed_at: datetime | None
    closed_by: str | None
    evidence: list[EvidenceOut] = Field(default_factory=list)

    @classmethod
    def of(cls, case: Case, evidence: list[CaseEvidence] | None = None) -> CaseOut:
        return cls(
            id=case.id,
            status=case.status,
            source=case.source,
            title=case.title,
            opened_at=case.opened_at,
            opened_by=case.opened_by,
            assignee=case.assignee,
            outcome=case.outcome,
            closing_note=case.closing_note,
            closed_at=case.closed_at,
            closed_by=case.closed_by,
            evidence=[EvidenceOut.of(e) for e in evidence or []],
        )


class AssignIn(InputModel):
    assignee: str = Field(min_length=1, max_length=64)


class NoteIn(InputModel):
    note: str = Field(default="", max_length=4000)


class CloseIn(InputModel):
    outcome: Literal["confirmed", "unfounded", "inconclusive"]
    note: str = Field(min_length=1, max_length=4000)
