"""Risk control for analysts: rule sets (validate, draft, shadow, publish, retire,
backtest), control instructions (issue, lift: reaching lists already decided too), and the
external results other packages write (flags, enterprise classes).

Every change is written to the audit log in the caller's transaction. Services flush,
never commit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.audit.service import Actor
from cbec.clearance.decision import Inspection
from cbec.clearance.service import Clearance, Policy
from cbec.errors import BadRequest, Conflict, FieldError, NotFound, ValidationFailed
from cbec.messages.receipts import INSPECTION, MANUAL_REVIEW
from cbec.portrait.classes import CLASSES
from cbec.privacy import blind_id, mask_id, scrub
from cbec.risk import repository
from cbec.risk.assessor import VERDICTS, hs_prefixes
from cbec.risk.expressions import ExpressionError, never_true
from cbec.risk.features import context
from cbec.risk.history import HistoryRow, messages_for, replay
from cbec.risk.rulebook import compiled
from cbec.risk.rules import CompiledRule, Scope, compile_rule, evaluate
from cbec.risk.schemas import (
    AssessmentOut,
    BacktestOut,
    ClassIn,
    FlagIn,
    HitOut,
    InstructionIn,
    RuleFiguresOut,
    RuleSetIn,
)
from cbec.store.models import (
    ControlInstruction,
    Declaration,
    Enterprise,
    EnterpriseClass,
    RiskFlag,
    Rule,
    RuleHit,
    RuleSet,
    utcnow,
)

DRAFT, PUBLISHED, RETIRED = "draft", "published", "retired"
RULE_SET_STATUSES = (DRAFT, PUBLISHED, RETIRED)
#: A hit is live (it acted) or shadow (a rule set tried alongside, without acting).
HIT_MODES = ("live", "shadow")
INSTRUCTION_STATUSES = ("active", "lifted")


class InvalidRules(BadRequest):
    """A rule set that does not validate; each problem names its path and rule."""

    kind = "invalid_rules"


class RuleSetImmutable(Conflict):
    """A change to a rule set its status does not allow (published sets are immutable)."""


def _path(loc: Iterable[int | str]) -> str:
    """A pydantic error location as a JSON path: ``rules[0]/when``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f"/{part}" if out else str(part))
    return out or "(root)"


def problems_of(error: ValidationError) -> list[FieldError]:
    return [FieldError(_path(e["loc"]), e["type"], e["msg"]) for e in error.errors()]


def compile_set(
    data: RuleSetIn, *, rule_set_id: int | None = None, session: Session | None = None
) -> list[CompiledRule]:
    """Every rule of ``data`` compiled; :class:`InvalidRules` lists every problem found
    (``rules[2]/when/and[1]/<[0]/feature: unknown feature ... [unknown_feature]``), a
    condition that can never be true too (``rules[0]/when/between [between.order]``).

    With a ``session``, every code of a scope's ``enterprises`` must be a filed
    enterprise's (``rules[0]/scope/enterprises[1]: ... [filed]``): a rule scoped to a code
    no enterprise is filed under would silently hit nothing. Without one, only the shape
    of the codes is checked."""
    out: list[CompiledRule] = []
    problems: list[FieldError] = []
    for i, rule in enumerate(data.rules):
        try:
            out.append(
                compile_rule(
                    rule.name,
                    rule.when,
                    rule.action,
                    score=rule.score,
                    description=rule.description,
                    scope=_scope(rule.scope.model_dump(by_alias=True)),
                    effective_from=rule.effective_from,
                    effective_to=rule.effective_to,
                    path=f"rules[{i}]/when",
                    rule_set_id=rule_set_id,
                    rule_set_name=data.name,
                )
            )
        except ExpressionError as exc:
            problems += exc.problems
        else:
            problems += never_true(rule.when, path=f"rules[{i}]/when")
    if session is not None:
        problems += _unfiled(session, data)
    if problems:
        raise InvalidRules(f"{len(problems)} problem(s) in the rule set", fields=problems)
    return out


def _unfiled(session: Session, data: RuleSetIn) -> list[FieldError]:
    """A problem (rule ``filed``, as for instructions and classes) for each code of a
    rule's scope that no filed enterprise has."""
    codes = sorted({code for rule in data.rules for code in rule.scope.enterprises})
    filed: set[str] = set()
    for start in range(0, len(codes), 1000):
        chunk = codes[start : start + 1000]
        filed.update(
            session.scalars(
                select(Enterprise.customs_code).where(Enterprise.customs_code.in_(chunk))
            )
        )
    return [
        FieldError(
            f"rules[{i}]/scope/enterprises[{j}]",
            "filed",
            f"no enterprise with the customs code {code!r} is filed",
        )
        for i, rule in enumerate(data.rules)
        for j, code in enumerate(rule.scope.enterprises)
        if code not in filed
    ]


def _scope(data: Mapping[str, Sequence[str]]) -> Scope:
    return Scope.from_json(data)


def parse(payload: Any, session: Session | None = None) -> RuleSetIn:
    """A rule set from JSON-ready data (a rule file): pydantic checks the envelope, then
    every expression is compiled and, with a ``session``, every enterprise of a scope must
    be filed. :class:`InvalidRules` names each problem's path."""
    try:
        data = RuleSetIn.model_validate(payload)
    except ValidationError as exc:
        raise InvalidRules("the rule set is not valid", fields=problems_of(exc)) from None
    compile_set(data, session=session)
    return data


def validate(payload: Any, session: Session | None = None) -> list[FieldError]:
    """The problems of a rule set (empty: it is valid). Without a ``session`` a scope's
    enterprise codes are checked for their shape only, not for being filed: pass the
    store's session to refuse what :func:`create_rule_set` would."""
    try:
        parse(payload, session)
    except InvalidRules as exc:
        return exc.fields
    return []


# -- rule sets ------------------------------------------------------------------------------


def _record(
    session: Session, by: Actor, what: str, subject: tuple[str, str], reason: str, **details: Any
) -> None:
    audit.record(
        session,
        actor_kind=by.kind,
        actor=by.name,
        action=what,
        subject_kind=subject[0],
        subject_key=subject[1],
        reason=reason,
        details=details,
    )


def _rules(rule_set_id: int, data: RuleSetIn) -> list[Rule]:
    return [
        Rule(
            rule_set_id=rule_set_id,
            position=i,
            name=rule.name,
            description=rule.description,
            expression=json.dumps(rule.when, ensure_ascii=False),
            scope=json.dumps(rule.scope.model_dump(by_alias=True)),
            effective_from=rule.effective_from,
            effective_to=rule.effective_to,
            action=rule.action.value,
            score=rule.score,
        )
        for i, rule in enumerate(data.rules)
    ]


def get_rule_set(session: Session, rule_set_id: int) -> RuleSet:
    found = repository.rule_set(session, rule_set_id)
    if found is None:
        raise NotFound(f"no rule set {rule_set_id}")
    return found


def rules_of(session: Session, rule_set_id: int) -> list[Rule]:
    return list(repository.rules_of(session, [rule_set_id]))


def create_rule_set(session: Session, data: RuleSetIn, *, by: Actor) -> RuleSet:
    """Store a new draft (validated first, scopes naming filed enterprises only)."""
    compile_set(data, session=session)
    rule_set = RuleSet(
        name=data.name,
        description=data.description,
        status=DRAFT,
        shadow=False,
        revision=1,
        created_at=utcnow(),
        created_by=by.name,
    )
    session.add(rule_set)
    session.flush()
    session.add_all(_rules(rule_set.id, data))
    session.flush()
    _record(
        session,
        by,
        "rule_set.create",
        ("rule_set", str(rule_set.id)),
        f"draft {data.name!r}",
        rules=[r.model_dump(mode="json", by_alias=True) for r in data.rules],
    )
    return rule_set


def _editable(session: Session, rule_set_id: int, doing: str) -> RuleSet:
    rule_set = repository.rule_set_for_update(session, rule_set_id)
    if rule_set is None:
        raise NotFound(f"no rule set {rule_set_id}")
    if rule_set.status != DRAFT:
        raise RuleSetImmutable(
            f"rule set {rule_set_id} is {rule_set.status}: only a draft can {doing} "
            "(published sets are immutable; write a new draft)"
        )
    return rule_set


def update_rule_set(session: Session, rule_set_id: int, data: RuleSetIn, *, by: Actor) -> RuleSet:
    """Replace the rules of a draft (validated as :func:`create_rule_set` does)."""
    compile_set(data, session=session)
    rule_set = _editable(session, rule_set_id, "be edited")
    rule_set.name, rule_set.description = data.name, data.description
    rule_set.revision += 1
    repository.replace_rules(session, rule_set.id, _rules(rule_set.id, data))
    _record(
        session,
        by,
        "rule_set.update",
        ("rule_set", str(rule_set.id)),
        f"draft {data.name!r} revision {rule_set.revision}",
        rules=[r.model_dump(mode="json", by_alias=True) for r in data.rules],
    )
    return rule_set


def set_shadow(session: Session, rule_set_id: int, on: bool, *, by: Actor) -> RuleSet:
    """Run a draft in the shadow of live traffic (hits recorded, decisions unchanged), or
    stop it."""
    rule_set = _editable(session, rule_set_id, "run in the shadow")
    if rule_set.shadow != on:
        rule_set.shadow = on
        rule_set.revision += 1
        session.flush()
        _record(
            session,
            by,
            "rule_set.shadow",
            ("rule_set", str(rule_set.id)),
            "shadow on" if on else "shadow off",
        )
    return rule_set


def publish(session: Session, rule_set_id: int, *, by: Actor, reason: str = "") -> RuleSet:
    """Make a draft live: from now on its rules decide, and it can no longer change."""
    rule_set = _editable(session, rule_set_id, "be published")
    stored = rules_of(session, rule_set.id)
    problems: list[FieldError] = []
    for rule in stored:
        compiled(rule, rule_set.name)  # stored rules were valid; still, never publish junk
        # a draft stored before the check: a condition never true would silently hit nothing
        problems += never_true(json.loads(rule.expression), path=f"rules[{rule.position}]/when")
    if problems:
        raise InvalidRules(f"{len(problems)} problem(s) in the rule set", fields=problems)
    rule_set.status, rule_set.shadow = PUBLISHED, False
    rule_set.published_at, rule_set.published_by = utcnow(), by.name
    session.flush()
    _record(
        session,
        by,
        "rule_set.publish",
        ("rule_set", str(rule_set.id)),
        reason or f"published {rule_set.name!r}",
        rules=[r.name for r in stored],
    )
    return rule_set


def retire(session: Session, rule_set_id: int, *, by: Actor, reason: str = "") -> RuleSet:
    """Take a published set (or abandon a draft) out of use, for good."""
    rule_set = repository.rule_set_for_update(session, rule_set_id)
    if rule_set is None:
        raise NotFound(f"no rule set {rule_set_id}")
    if rule_set.status == RETIRED:
        raise RuleSetImmutable(f"rule set {rule_set_id} is already retired")
    before = rule_set.status
    rule_set.status, rule_set.shadow = RETIRED, False
    rule_set.retired_at, rule_set.retired_by = utcnow(), by.name
    session.flush()
    _record(
        session,
        by,
        "rule_set.retire",
        ("rule_set", str(rule_set.id)),
        reason or f"retired {rule_set.name!r}",
        before=before,
    )
    return rule_set


def hit_counts(session: Session, rule_set_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for (rule_set_id, mode), n in repository.hit_counts(session, rule_set_ids).items():
        out.setdefault(rule_set_id, {})[mode] = n
    return out


# -- backtest -------------------------------------------------------------------------------


@dataclass(slots=True)
class Tally:
    """What a rule (or the whole set) hit over history."""

    hits: int = 0
    inspected: int = 0
    seized: int = 0
    value: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)

    def add(self, row: HistoryRow) -> None:
        d = row.declaration
        self.hits += 1
        self.inspected += row.inspected
        self.seized += row.positive
        self.value += d.taxable_value or Decimal(0)
        self.tax += d.tax_total or Decimal(0)

    @property
    def seizure_rate(self) -> float | None:
        return self.seized / self.hits if self.hits else None


@dataclass(slots=True)
class BacktestResult:
    rule_set_id: int
    since: date | None
    until: date | None
    lists: int = 0
    positives: int = 0
    total: Tally = field(default_factory=Tally)
    rules: dict[str, tuple[str, Tally]] = field(default_factory=dict)

    @property
    def recall(self) -> float | None:
        return self.total.seized / self.positives if self.positives else None


def backtest(
    session: Session,
    rule_set_id: int,
    *,
    since: date | None = None,
    until: date | None = None,
    names: tuple[str, str] = ("since", "until"),
) -> BacktestResult:
    """Run a rule set (any status) over the lists decided between ``since`` and ``until``
    (declaration dates), with the features they had then: how many it hits, how many of
    those were seized (or confirmed by a closed case), the value and tax at stake, and
    the share of all seizures it would have caught. Effective windows are ignored (a draft
    is usually dated from its publication); scopes apply.

    ``until`` before ``since`` is refused naming the end (``names``: the caller's names of
    the two): over no lists at all, every figure would be a zero that looks like an
    answer."""
    if since is not None and until is not None and until < since:
        message = f"the backtest must end on or after its first day ({since.isoformat()})"
        raise BadRequest(message, fields=[FieldError(names[1], "after", message)])
    rule_set = get_rule_set(session, rule_set_id)
    rules = [compiled(r, rule_set.name) for r in rules_of(session, rule_set.id)]
    result = BacktestResult(rule_set.id, since, until)
    result.rules = {r.name: (r.action.value, Tally()) for r in rules}
    for row in replay(session, since=since, until=until):
        result.lists += 1
        result.positives += row.positive
        matches = evaluate(rules, context(row.features, row.fields), row.fields)
        for match in matches:
            result.rules[match.rule.name][1].add(row)
        if matches:
            result.total.add(row)
    return result


# -- control instructions -------------------------------------------------------------------


def _candidates(session: Session, data: InstructionIn) -> list[Declaration]:
    """Lists in manual review or under inspection the instruction targets."""
    waiting = repository.undecided_or_unreleased(session, [MANUAL_REVIEW, INSPECTION])
    value = data.target_value
    if data.target_kind == "enterprise":
        codes = ("ebp_code", "ebc_code", "agent_code", "logistics_code", "pay_code")
        return [d for d in waiting if any(getattr(d, c) == value for c in codes)]
    if data.target_kind == "buyer":
        return [d for d in waiting if d.buyer_key == blind_id(value)]
    if data.target_kind == "logistics_no":
        return [d for d in waiting if d.logistics_no == value]
    if data.target_kind == "list":
        return [d for d in waiting if value in (d.invt_no, d.business_key)]
    found = messages_for(session, waiting)
    return [
        d
        for d in waiting
        if d.id in found
        and value in hs_prefixes([line.gcode for line in found[d.id][0].inventory.inventoryList])
    ]


def _require_filed(session: Session, code: str, path: str) -> None:
    """Refuse a customs code no filed enterprise has (``path`` names the field): what is
    set for it would silently apply to nothing."""
    if session.scalar(select(Enterprise.id).where(Enterprise.customs_code == code)) is None:
        message = f"no enterprise with the customs code {code!r} is filed"
        raise ValidationFailed(message, fields=[FieldError(path, "filed", message)])


def issue_instruction(
    session: Session, data: InstructionIn, *, by: Actor, policy: Policy
) -> tuple[ControlInstruction, list[str]]:
    """Issue a control instruction: lists decided from now on meet it in their risk
    verdict; lists in manual review or under inspection that it targets are re-decided at
    once (to inspection or held). Returns the instruction and the lists it changed.

    An enterprise target must be a filed enterprise's customs code: any other would
    silently target nothing (a mistyped code, an instruction no list ever meets)."""
    if data.target_kind == "enterprise":
        _require_filed(session, data.target_value, "targetValue")
    buyer = data.target_kind == "buyer"
    row = ControlInstruction(
        target_kind=data.target_kind,
        # a buyer by the blind index of the ID number, shown masked
        target_value=blind_id(data.target_value) if buyer else data.target_value,
        target_label=mask_id(data.target_value) if buyer else "",
        action=data.action.value,
        reason=data.reason,
        status="active",
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        issued_at=utcnow(),
        issued_by=by.name,
    )
    session.add(row)
    session.flush()
    outcome, inspection = VERDICTS[data.action]
    now = utcnow()
    changed: list[str] = []
    in_force = row.valid_from is None or row.valid_from <= now
    if in_force:
        clearance = Clearance(session, policy)
        reason = f"[I{row.id}] control instruction {row.id}: {data.reason}"
        for d in _candidates(session, data):
            if clearance.escalate(
                d, outcome, reason, inspection=inspection or Inspection.OPEN, actor=by.name
            ):
                changed.append(d.invt_no or d.business_key)
                repository.insert_hits(
                    session,
                    [
                        {
                            "declaration_id": d.id,
                            "source": "instruction",
                            "rule_set_id": None,
                            "instruction_id": row.id,
                            "rule_name": f"instruction-{row.id}",
                            "mode": "live",
                            "action": row.action,
                            "score": 0.0,
                            "message": row.reason,
                            "values": json.dumps({f"target.{row.target_kind}": "matched"}),
                            "at": now,
                        }
                    ],
                )
    _record(
        session,
        by,
        "control_instruction.issue",
        ("control_instruction", str(row.id)),
        data.reason,
        target_kind=data.target_kind,
        target=row.target_label if buyer else data.target_value,
        action=data.action.value,
        redecided=changed,
    )
    return row, changed


def lift_instruction(
    session: Session, instruction_id: int, reason: str, *, by: Actor
) -> ControlInstruction:
    """Stop an instruction for lists decided from now on (held lists stay held until an
    officer releases them)."""
    row = repository.instruction(session, instruction_id)
    if row is None:
        raise NotFound(f"no control instruction {instruction_id}")
    if row.status != "active":
        raise Conflict(f"control instruction {instruction_id} is already {row.status}")
    row.status, row.lifted_at, row.lifted_by = "lifted", utcnow(), by.name
    session.flush()
    _record(
        session,
        by,
        "control_instruction.lift",
        ("control_instruction", str(row.id)),
        reason,
    )
    return row


# -- external results ------------------------------------------------------------------------


def add_flag(session: Session, data: FlagIn, *, by: Actor) -> RiskFlag:
    """Record a flag (platform verification, payment company, consumer monitoring, ...)."""
    identity = data.subject_kind == "identity"
    flag = repository.add_flag(
        session,
        RiskFlag(
            subject_kind=data.subject_kind,
            # an identity by the blind index of the ID number, shown masked
            subject_key=blind_id(data.subject_key) if identity else data.subject_key,
            subject_label=mask_id(data.subject_key) if identity else "",
            source=data.source,
            kind=data.kind,
            score=data.score,
            reason=data.reason,
            valid_from=data.valid_from,
            valid_to=data.valid_to,
            created_at=utcnow(),
            created_by=by.name,
        ),
    )
    _record(
        session,
        by,
        "risk_flag.add",
        # an identity is personal data: the log names it by its pseudonym
        (data.subject_kind, flag.subject_key),
        data.reason or data.kind,
        source=data.source,
        kind=data.kind,
        score=data.score,
    )
    return flag


def set_class(session: Session, data: ClassIn, *, by: Actor) -> EnterpriseClass:
    """Record an enterprise's class (the latest valid one applies); the enterprise must be
    filed. The row carries the class's rates, as a published portrait class does: clearance
    samples by the rows with rates, and the portrait shows the latest row as in force."""
    _require_filed(session, data.enterprise_code, "enterpriseCode")
    rates = CLASSES[data.class_code]
    row = repository.add_class(
        session,
        EnterpriseClass(
            enterprise_code=data.enterprise_code,
            class_code=data.class_code,
            source=data.source,
            score=data.score,
            reason=data.reason,
            valid_from=data.valid_from,
            valid_to=data.valid_to,
            created_at=utcnow(),
            created_by=by.name,
            review_rate=rates.review,
            xray_rate=rates.xray,
            open_rate=rates.open,
            inspection_caps=rates.caps_json(),
        ),
    )
    _record(
        session,
        by,
        "enterprise_class.set",
        ("enterprise", data.enterprise_code),
        data.reason or f"class {data.class_code}",
        class_code=data.class_code,
        source=data.source,
    )
    return row


# -- reading ----------------------------------------------------------------------------------


def hit_out(hit: RuleHit, invt_no: str | None) -> HitOut:
    return HitOut(
        id=hit.id,
        declaration_id=hit.declaration_id,
        invt_no=invt_no,
        source=hit.source,
        rule_set_id=hit.rule_set_id,
        instruction_id=hit.instruction_id,
        rule_name=hit.rule_name,
        mode=hit.mode,
        action=hit.action,
        score=hit.score,
        message=scrub(hit.message),
        values=json.loads(hit.values or "{}"),
        at=hit.at,
    )


def hits(
    session: Session,
    *,
    rule_set_id: int | None = None,
    mode: str | None = None,
    source: str | None = None,
    after: int = 0,
    limit: int = 100,
) -> list[HitOut]:
    """Recorded hits, oldest first from ``after``."""
    return [
        hit_out(hit, invt_no)
        for hit, invt_no in repository.hits(
            session, rule_set_id=rule_set_id, mode=mode, source=source, after=after, limit=limit
        )
    ]


def assessment(session: Session, invt_no: str) -> AssessmentOut:
    """What risk control saw of a list: its features, scores and every hit (shadow too)."""
    d = repository.declaration_by_invt_no(session, invt_no)
    if d is None:
        raise NotFound(f"no list {invt_no}")
    found = repository.latest_assessment(session, d.id)
    if found is None:
        raise NotFound(f"list {invt_no} has no risk assessment (not decided with risk control)")
    return AssessmentOut(
        invt_no=invt_no,
        at=found.at,
        features=json.loads(found.features),
        model_score=found.model_score,
        rules_score=found.rules_score,
        hits=[
            hit_out(hit, no)
            for hit, no in repository.hits(session, declaration_id=d.id, limit=1000)
        ],
    )


def backtest_out(result: BacktestResult) -> BacktestOut:
    def rate(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    cents = Decimal("0.01")
    return BacktestOut(
        rule_set_id=result.rule_set_id,
        since=result.since,
        until=result.until,
        lists=result.lists,
        positives=result.positives,
        hits=result.total.hits,
        hit_rate=rate(result.total.hits, result.lists),
        inspected=result.total.inspected,
        seized=result.total.seized,
        seizure_rate=rate(result.total.seized, result.total.hits),
        recall=rate(result.total.seized, result.positives),
        value=result.total.value.quantize(cents),
        tax=result.total.tax.quantize(cents),
        rules=[
            RuleFiguresOut(
                rule=name,
                action=action,
                hits=tally.hits,
                inspected=tally.inspected,
                seized=tally.seized,
                seizure_rate=rate(tally.seized, tally.hits),
                value=tally.value.quantize(cents),
                tax=tally.tax.quantize(cents),
            )
            for name, (action, tally) in result.rules.items()
        ],
    )
