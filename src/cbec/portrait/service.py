"""Portraits, platform verification, re-rating and emergency class changes.

The class in force is the latest valid row of ``risk_enterprise_classes`` (which risk
features read too); a portrait class row carries its rates, which clearance samples by.
Every change is written to the audit log in the caller's transaction. Services flush,
never commit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.audit.service import Actor
from cbec.batch.engine import Embedded, Engine, Source
from cbec.errors import BadRequest, Conflict, FieldError, NotFound
from cbec.messages.fields import CST
from cbec.months import check_moment
from cbec.portrait import batch, repository
from cbec.portrait import verification as checks
from cbec.portrait.classes import CLASSES
from cbec.portrait.schemas import CheckIn
from cbec.portrait.score import Facts, Portrait, portrait, rank
from cbec.store.models import (
    Enterprise,
    EnterpriseClass,
    PlatformCheck,
    Rating,
    RatingItem,
    RiskFlag,
    utcnow,
)

#: the flag that feeds risk control when a platform's verification failed
UNVERIFIED_FLAG = "platform_unverified"
#: orders younger than this are not yet expected to have a waybill
WAYBILL_GRACE = timedelta(days=3)
DEFAULT_DAYS = 365
PROPOSED, PUBLISHED, DISCARDED = "proposed", "published", "discarded"


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


def window(
    start: datetime | None = None,
    end: datetime | None = None,
    days: int = DEFAULT_DAYS,
    names: tuple[str, str] = ("from", "to"),
) -> tuple[datetime, datetime]:
    """[start, end): by default the last ``days`` days up to now. Ends out of the calendar's
    span (:func:`cbec.months.check_moment`), and a window that does not end after it
    starts (a start after now, with no end), are refused naming the field (``names``): an
    empty window would rate every enterprise on no lists at all."""
    if start is not None:
        check_moment(start, names[0])
    end = check_moment(end, names[1]) if end is not None else utcnow()
    start = start or end - timedelta(days=days)
    if end <= start:
        message = f"the window must end after it starts ({start.isoformat()})"
        raise BadRequest(message, fields=[FieldError(names[1], "after", message)])
    return start, end


def _valid(row: RiskFlag | EnterpriseClass, moment: datetime) -> bool:
    return (row.valid_from is None or row.valid_from <= moment) and (
        row.valid_to is None or moment < row.valid_to
    )


# -- verification --------------------------------------------------------------------------


@dataclass(slots=True)
class Verification:
    platform_code: str
    status: str
    latest: dict[str, PlatformCheck]
    automatic: list[checks.Automatic]
    checks: Sequence[PlatformCheck]
    flagged: bool = False


def _day_start(day: Any) -> datetime:
    return datetime.combine(day, time(), CST).astimezone(UTC)


def _catalogue(
    session: Session, platform_code: str, start: datetime, end: datetime
) -> checks.Automatic:
    cleared = repository.cleared_lines(session, platform_code, start, end)
    owners = {platform_code} | {line.ebc_code for line in cleared}
    return checks.catalogue_check(platform_code, cleared, repository.filed_items(session, owners))


def verify(
    session: Session,
    platform_code: str,
    start: datetime,
    end: datetime,
    *,
    facts: Facts | None = None,
    grace: timedelta = WAYBILL_GRACE,
) -> Verification:
    """The platform's verification status over [start, end): its officers' checks and the
    automatic ones. ``facts``: the platform's portrait features over the window (buyers and
    disputes), computed by the batch job (:mod:`cbec.portrait.batch`) when not given."""
    rows = repository.checks_of(session, platform_code)
    latest = {row.check: row for row in rows}  # ordered by date, id: the last wins
    if facts is None:
        with Embedded() as engine:
            found = batch.portrait_facts(
                engine, batch.store_source(session, start, end), start, end, [platform_code]
            )
        facts = found.get(platform_code) or Facts(platform_code)
    traffic = latest.get("traffic")
    cleared = reported = None
    if traffic is not None and traffic.period_from and traffic.period_to:
        reported = traffic.reported_orders
        cleared = repository.cleared_between(
            session,
            platform_code,
            _day_start(traffic.period_from),
            _day_start(traffic.period_to + timedelta(days=1)),
        )
    orders, without = repository.orders_without_waybill(
        session, platform_code, start, max(start, end - grace)
    )
    automatic = [
        _catalogue(session, platform_code, start, end),
        checks.waybill_check(orders, without),
        checks.traffic_check(cleared, reported),
        # a dispute flags the buyer's identity and the platform both: counted once
        checks.dispute_check(facts.buyers, facts.disputes),
    ]
    status = checks.status({k: v.result for k, v in latest.items()}, automatic)
    flagged = any(
        _valid(f, utcnow())
        for f in repository.portrait_flags(session, platform_code, UNVERIFIED_FLAG)
    )
    return Verification(platform_code, status, latest, automatic, rows, flagged)


def refresh_flag(session: Session, result: Verification, *, by: Actor) -> Verification:
    """Feed the status to risk control: a failed platform gets a ``platform_unverified``
    flag (source ``portrait``) on its code; once it no longer fails, the flag ends."""
    now = utcnow()
    live = [
        f
        for f in repository.portrait_flags(session, result.platform_code, UNVERIFIED_FLAG)
        if _valid(f, now)
    ]
    subject = ("enterprise", result.platform_code)
    if result.status == checks.FAILED and not live:
        failed = [k for k, v in result.latest.items() if v.result == "fail"]
        failed += [a.name for a in result.automatic if a.result == "fail"]
        reason = "platform verification failed: " + ", ".join(failed)
        repository.add(
            session,
            RiskFlag(
                subject_kind="enterprise",
                subject_key=result.platform_code,
                source="portrait",
                kind=UNVERIFIED_FLAG,
                score=1.0,
                reason=reason,
                valid_from=now,
                created_at=now,
                created_by=by.name,
            ),
        )
        _record(
            session, by, "risk_flag.add", subject, reason, source="portrait", kind=UNVERIFIED_FLAG
        )
        result.flagged = True
    elif result.status != checks.FAILED and live:
        for flag in live:
            flag.valid_to = now
        session.flush()
        _record(
            session,
            by,
            "risk_flag.end",
            subject,
            f"platform verification {result.status}",
            source="portrait",
            kind=UNVERIFIED_FLAG,
        )
        result.flagged = False
    return result


def _platform(session: Session, code: str) -> None:
    found = repository.enterprise(session, code)
    if found is None:
        raise NotFound(f"no enterprise {code}")
    if "platform" not in found.role_names:
        raise BadRequest(
            f"{code} is not a platform",
            fields=[FieldError("platformCode", "role=platform", "verification is of platforms")],
        )


def _recheck(session: Session, code: str, by: Actor) -> None:
    start, end = window()
    refresh_flag(session, verify(session, code, start, end), by=by)


def add_check(session: Session, platform_code: str, data: CheckIn, *, by: Actor) -> PlatformCheck:
    """Record an officer's verification check of a platform (the flag follows the status)."""
    _platform(session, platform_code)
    now = utcnow()
    row = repository.add(
        session,
        PlatformCheck(
            platform_code=platform_code,
            check=data.check,
            result=data.result,
            evidence=data.evidence,
            checked_on=data.checked_on,
            officer=by.name,
            reported_orders=data.reported_orders,
            period_from=data.period_from,
            period_to=data.period_to,
            created_at=now,
            updated_at=now,
        ),
    )
    _record(
        session,
        by,
        "platform_check.add",
        ("enterprise", platform_code),
        data.evidence,
        check=data.check,
        result=data.result,
        id=row.id,
    )
    _recheck(session, platform_code, by)
    return row


def checks_of(session: Session, platform_code: str) -> Sequence[PlatformCheck]:
    """Every verification check of a platform, oldest first."""
    return repository.checks_of(session, platform_code)


def enterprise(session: Session, code: str) -> Enterprise:
    found = repository.enterprise(session, code)
    if found is None:
        raise NotFound(f"no enterprise {code}")
    return found


def get_check(session: Session, check_id: int) -> PlatformCheck:
    row = repository.check(session, check_id)
    if row is None:
        raise NotFound(f"no platform check {check_id}")
    return row


def update_check(session: Session, check_id: int, data: CheckIn, *, by: Actor) -> PlatformCheck:
    """Correct a check (the officer who corrects it is recorded as its officer)."""
    row = get_check(session, check_id)
    before = {"check": row.check, "result": row.result}
    row.check, row.result, row.evidence = data.check, data.result, data.evidence
    row.checked_on, row.officer = data.checked_on, by.name
    row.reported_orders, row.period_from, row.period_to = (
        data.reported_orders,
        data.period_from,
        data.period_to,
    )
    row.updated_at = utcnow()
    session.flush()
    _record(
        session,
        by,
        "platform_check.update",
        ("enterprise", row.platform_code),
        data.evidence,
        id=row.id,
        before=before,
        after={"check": data.check, "result": data.result},
    )
    _recheck(session, row.platform_code, by)
    return row


def delete_check(session: Session, check_id: int, reason: str, *, by: Actor) -> None:
    """Remove a check entered in error (with the reason, in the audit log)."""
    if not reason.strip():
        raise BadRequest("a reason is required", fields=[FieldError("reason", "required", "why")])
    row = get_check(session, check_id)
    code = row.platform_code
    _record(
        session,
        by,
        "platform_check.delete",
        ("enterprise", code),
        reason,
        id=row.id,
        check=row.check,
        result=row.result,
    )
    repository.delete(session, row)
    _recheck(session, code, by)


# -- portraits -------------------------------------------------------------------------------


def portraits(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    codes: Iterable[str] | None = None,
    grace: timedelta = WAYBILL_GRACE,
    engine: Engine | None = None,
    data: Path | None = None,
) -> tuple[dict[str, Portrait], dict[str, Verification]]:
    """The portraits over [start, end) of ``codes`` (default: every enterprise with a list
    decided in the window), and the verification of the platforms among them.

    The features are the batch job :mod:`cbec.portrait.batch`, run on ``engine`` (the
    embedded engine by default) over the store, or over the ``cbec export-data`` folder
    ``data``; platform verification reads the store."""
    source = Source.parquet(data) if data is not None else batch.store_source(session, start, end)
    if engine is None:
        with Embedded() as embedded:
            facts = batch.portrait_facts(embedded, source, start, end, codes)
    else:
        facts = batch.portrait_facts(engine, source, start, end, codes)
    verifications: dict[str, Verification] = {}
    for code, f in facts.items():
        if "platform" in f.roles:
            v = verify(session, code, start, end, facts=f, grace=grace)
            verifications[code] = v
            f.verification = v.status
    as_of = end.astimezone(CST).date()
    return {code: portrait(f, as_of) for code, f in facts.items()}, verifications


def enterprise_portrait(
    session: Session, code: str, start: datetime, end: datetime
) -> tuple[Portrait, Verification | None]:
    if repository.enterprise(session, code) is None:
        raise NotFound(f"no enterprise {code}")
    found, verifications = portraits(session, start, end, codes=[code])
    return found[code], verifications.get(code)


# -- classes ---------------------------------------------------------------------------------


def class_in_force(
    session: Session, code: str, moment: datetime | None = None
) -> EnterpriseClass | None:
    """The latest valid class row of ``code`` at ``moment`` (now by default)."""
    moment = moment or utcnow()
    found = None
    for row in repository.class_rows(session, code):
        if _valid(row, moment):
            found = row
    return found


def history(session: Session, code: str) -> Sequence[EnterpriseClass]:
    """Every class row of ``code``, oldest first (source and reason say why)."""
    return repository.class_rows(session, code)


def _class_row(
    code: str,
    class_code: str,
    *,
    source: str,
    reason: str,
    by: Actor,
    now: datetime,
    score: float | None = None,
    valid_to: datetime | None = None,
) -> EnterpriseClass:
    c = CLASSES[class_code]
    return EnterpriseClass(
        enterprise_code=code,
        class_code=class_code,
        source=source,
        score=score,
        reason=reason,
        valid_from=now,
        valid_to=valid_to,
        created_at=now,
        created_by=by.name,
        review_rate=c.review,
        xray_rate=c.xray,
        open_rate=c.open,
        inspection_caps=c.caps_json(),
    )


def _check_class(class_code: str, path: str) -> None:
    if class_code not in CLASSES:
        raise BadRequest(
            f"unknown class {class_code!r}",
            fields=[FieldError(path, "enumeration=" + "|".join(CLASSES), "A, B, C or D")],
        )


def emergency(
    session: Session,
    code: str,
    class_code: str,
    reason: str,
    *,
    by: Actor,
    valid_to: datetime | None = None,
) -> EnterpriseClass:
    """Change an enterprise's class at once: the next decision on its lists uses it."""
    _check_class(class_code, "classCode")
    if not reason.strip():
        raise BadRequest("a reason is required", fields=[FieldError("reason", "required", "why")])
    if repository.enterprise(session, code) is None:
        raise NotFound(f"no enterprise {code}")
    now = utcnow()
    if valid_to is not None and valid_to <= now:
        raise BadRequest(
            "validTo is in the past",
            fields=[FieldError("validTo", "after=now", "the adjustment would never apply")],
        )
    before = class_in_force(session, code, now)
    row = repository.add(
        session,
        _class_row(
            code, class_code, source="emergency", reason=reason, by=by, now=now, valid_to=valid_to
        ),
    )
    _record(
        session,
        by,
        "enterprise_class.emergency",
        ("enterprise", code),
        reason,
        class_code=class_code,
        before=before.class_code if before else None,
        valid_to=valid_to,
    )
    return row


# -- ratings ---------------------------------------------------------------------------------


def propose(
    session: Session,
    start: datetime,
    end: datetime,
    *,
    by: Actor,
    grace: timedelta = WAYBILL_GRACE,
    engine: Engine | None = None,
    data: Path | None = None,
) -> Rating:
    """Compute every active enterprise's portrait over [start, end) and store the classes
    it proposes, for an officer to review and publish. Platform verification flags are
    brought up to date on the way. The features run on ``engine`` (embedded by default),
    from the store or from the export ``data`` (:func:`portraits`)."""
    found, verifications = portraits(session, start, end, grace=grace, engine=engine, data=data)
    for v in verifications.values():
        refresh_flag(session, v, by=by)
    now = utcnow()
    rating = repository.add(
        session,
        Rating(
            status=PROPOSED, window_from=start, window_to=end, created_at=now, created_by=by.name
        ),
    )
    changes = 0
    for p in rank(found.values()):
        current = class_in_force(session, p.facts.code, now)
        current_code = current.class_code if current else None
        changes += current_code != p.proposed
        session.add(
            RatingItem(
                rating_id=rating.id,
                enterprise_code=p.facts.code,
                current_class=current_code,
                proposed_class=p.proposed,
                score=p.score,
                portrait=json.dumps(p.as_dict(), ensure_ascii=False),
                reason=p.reason(),
            )
        )
    session.flush()
    _record(
        session,
        by,
        "portrait.rating.propose",
        ("rating", str(rating.id)),
        f"{len(found)} enterprises, {changes} class change(s) proposed",
        window_from=start,
        window_to=end,
    )
    return rating


def get_rating(session: Session, rating_id: int, *, for_update: bool = False) -> Rating:
    row = repository.rating(session, rating_id, for_update=for_update)
    if row is None:
        raise NotFound(f"no rating {rating_id}")
    return row


def items(session: Session, rating_id: int) -> list[RatingItem]:
    return list(repository.items_of(session, rating_id))


def publish(
    session: Session,
    rating_id: int,
    *,
    reason: str,
    by: Actor,
    overrides: Mapping[str, str] | None = None,
) -> list[EnterpriseClass]:
    """Put a proposal in force: every enterprise whose class changes gets a new class row
    (with its rates) from now. ``overrides`` keeps another class for some enterprises."""
    if not reason.strip():
        raise BadRequest("a reason is required", fields=[FieldError("reason", "required", "why")])
    rating = get_rating(session, rating_id, for_update=True)
    if rating.status != PROPOSED:
        raise Conflict(f"rating {rating_id} is {rating.status}; only a proposal can be published")
    rows = items(session, rating_id)
    overrides = dict(overrides or {})
    known = {i.enterprise_code for i in rows}
    problems = [
        FieldError(f"overrides/{code}", "in-rating", f"{code} is not in rating {rating_id}")
        for code in overrides
        if code not in known
    ]
    problems += [
        FieldError(f"overrides/{code}", "enumeration=" + "|".join(CLASSES), "A, B, C or D")
        for code, value in overrides.items()
        if value not in CLASSES
    ]
    if problems:
        raise BadRequest("invalid overrides", fields=problems)
    now = utcnow()
    written = []
    changes = []
    for item in rows:
        final = overrides.get(item.enterprise_code, item.proposed_class)
        item.final_class = final
        current = class_in_force(session, item.enterprise_code, now)
        if current is not None and current.class_code == final and current.review_rate is not None:
            continue
        why = f"rating {rating_id}: {item.reason}"
        if final != item.proposed_class:
            why += f"; officer kept {final} instead of {item.proposed_class}: {reason}"
        written.append(
            repository.add(
                session,
                _class_row(
                    item.enterprise_code,
                    final,
                    source="portrait",
                    reason=why,
                    by=by,
                    now=now,
                    score=item.score,
                ),
            )
        )
        changes.append(
            {
                "code": item.enterprise_code,
                "from": current.class_code if current else None,
                "to": final,
            }
        )
    rating.status, rating.decided_at, rating.decided_by, rating.note = (
        PUBLISHED,
        now,
        by.name,
        reason,
    )
    session.flush()
    _record(
        session,
        by,
        "portrait.rating.publish",
        ("rating", str(rating_id)),
        reason,
        changes=changes,
        overrides=overrides,
    )
    return written


def discard(session: Session, rating_id: int, reason: str, *, by: Actor) -> Rating:
    if not reason.strip():
        raise BadRequest("a reason is required", fields=[FieldError("reason", "required", "why")])
    rating = get_rating(session, rating_id, for_update=True)
    if rating.status != PROPOSED:
        raise Conflict(f"rating {rating_id} is {rating.status}; only a proposal can be discarded")
    rating.status, rating.decided_at, rating.decided_by, rating.note = (
        DISCARDED,
        utcnow(),
        by.name,
        reason,
    )
    session.flush()
    _record(session, by, "portrait.rating.discard", ("rating", str(rating_id)), reason)
    return rating


def ratings(session: Session, status: str | None = None, limit: int = 50) -> Sequence[Rating]:
    return repository.ratings(session, status, limit)


def money(value: Decimal) -> str:
    return f"{value:,.2f}"
