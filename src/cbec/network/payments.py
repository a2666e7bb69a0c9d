"""Joint management with payment companies: which payment companies look like the
paymaster of fake platforms, and what to ask the competent authority to verify.

Per payment company, from the payments (CEB411) and the orders (CEB311) they pay:

* its **partners**: the platforms and e-commerce enterprises its payments go to, and the
  share of them flagged (a valid ``risk_flags`` row on the enterprise), unverified (not
  filed, not active, or flagged ``*unverified*``) or recently filed;
* the share of its payments whose **payer is not the order's buyer**;
* the share paid **before the order** (by more than a tolerance: an order message is
  often written a few minutes after the customer paid) or **long after** it;
* the share whose **amount** never matches the order's ``acturalPaid``, or that pay
  **no order** at all;
* its **concentration**: the share of its volume going to its largest platform, how many
  platforms it serves, how recently it was filed.

Each of these is a named score component with a weight; the score (0..100) is their
weighted sum and every component that counts is explained in words. Companies above a
threshold can be flagged (``risk_flags``: source ``payment``, kind
``payment_concentration``, subject the company), and the suspicious transactions of one
company exported as verification requests (CSV or JSON) with personal data cut to what
the authority needs to match them.

The analysis itself (:func:`transaction_reasons`, :func:`analyse`) is pure: plain facts
in, reports out.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.orm import Session

from cbec.audit import service as audit
from cbec.audit.service import Actor
from cbec.errors import BadRequest, FieldError, NotFound
from cbec.network import payment_repository as repository
from cbec.network.payment_schemas import (
    ComponentOut,
    FlaggedOut,
    FlagRunOut,
    PartnerOut,
    PaymentCompanyOut,
    PaymentReportOut,
    ThresholdsIn,
    VerificationExportOut,
    VerificationRequestOut,
)
from cbec.privacy import mask_name
from cbec.store.models import RiskFlag, utcnow

CENT = Decimal("0.01")
FLAG_SOURCE, FLAG_KIND = "payment", "payment_concentration"
FORMATS = ("csv", "json")

#: Weights of the score components (they add up to 100).
WEIGHTS: dict[str, float] = {
    "concentration": 25.0,
    "few_platforms": 15.0,
    "recent_filing": 15.0,
    "risky_partners": 20.0,
    "buyer_not_payer": 10.0,
    "amounts": 10.0,
    "timing": 5.0,
}

#: Reason codes of a suspicious transaction.
NO_ORDER = "no_order"
AMOUNT_MISMATCH = "amount_mismatch"
BUYER_NOT_PAYER = "buyer_not_payer"
PAID_BEFORE_ORDER = "paid_before_order"
PAID_LONG_AFTER = "paid_long_after"
RISKY_PARTNER = "risky_partner"


# -- facts -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Settings of the analysis (see :class:`ThresholdsIn`)."""

    early_minutes: int = 60
    late_hours: int = 72
    recent_days: int = 180
    flag_score: float = 50.0

    @classmethod
    def of(cls, data: ThresholdsIn) -> Thresholds:
        return cls(data.early_minutes, data.late_hours, data.recent_days, data.flag_score)

    def model(self) -> ThresholdsIn:
        return ThresholdsIn(
            early_minutes=self.early_minutes,
            late_hours=self.late_hours,
            recent_days=self.recent_days,
            flag_score=self.flag_score,
        )


@dataclass(frozen=True, slots=True)
class OrderFact:
    """What the analysis needs of an order (CEB311)."""

    order_no: str
    ebp_code: str
    ebc_code: str
    ebc_name: str
    buyer_id: str
    buyer_name: str
    paid: Decimal
    time: datetime | None


@dataclass(frozen=True, slots=True)
class PaymentFact:
    """What the analysis needs of a payment (CEB411)."""

    pay_code: str
    pay_name: str
    transaction_id: str
    order_no: str
    ebp_code: str
    ebp_name: str
    payer_id: str
    payer_name: str
    amount: Decimal
    currency: str
    time: datetime | None


@dataclass(frozen=True, slots=True)
class EnterpriseFact:
    """A filed enterprise (or one nobody filed: ``filed`` None, ``status`` None) and the
    valid flags on it, as ``kind (source)``."""

    code: str
    name: str = ""
    filed: date | None = None
    status: str | None = None
    flags: tuple[str, ...] = ()

    @property
    def unverified(self) -> list[str]:
        out = []
        if self.status is None:
            out.append("not filed with customs")
        elif self.status != "active":
            out.append(f"filing {self.status}")
        out += [f"flagged {f}" for f in self.flags if "unverified" in f]
        return out

    @property
    def flagged(self) -> list[str]:
        return [f"flagged {f}" for f in self.flags if "unverified" not in f]

    def recently_filed(self, as_of: date, days: int) -> str | None:
        if self.filed is not None and 0 <= (as_of - self.filed).days <= days:
            return f"filed {self.filed.isoformat()}, {(as_of - self.filed).days} days before"
        return None


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    text: str


def _time(value: str | None) -> datetime | None:
    try:
        return datetime.strptime(value or "", "%Y%m%d%H%M%S")
    except ValueError:
        return None


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def payment_fact(body: str) -> PaymentFact | None:
    """The facts of a stored payment (its canonical JSON), None for anything else."""
    head = json.loads(body).get("payment", {}).get("paymentHead")
    if not head:
        return None
    return PaymentFact(
        pay_code=head["payCode"],
        pay_name=head.get("payName", ""),
        transaction_id=head["payTransactionId"],
        order_no=head["orderNo"],
        ebp_code=head["ebpCode"],
        ebp_name=head.get("ebpName", ""),
        payer_id=str(head.get("payerIdNumber", "")).upper(),
        payer_name=head.get("payerName", ""),
        amount=_money(head.get("amountPaid")),
        currency=head.get("currency", ""),
        time=_time(head.get("payTime")),
    )


def order_fact(body: str) -> OrderFact | None:
    """The facts of a stored order, None for anything else."""
    head = json.loads(body).get("order", {}).get("orderHead")
    if not head:
        return None
    return OrderFact(
        order_no=head["orderNo"],
        ebp_code=head["ebpCode"],
        ebc_code=head["ebcCode"],
        ebc_name=head.get("ebcName", ""),
        buyer_id=str(head.get("buyerIdNumber", "")).upper(),
        buyer_name=head.get("buyerName", ""),
        paid=_money(head.get("acturalPaid")),
        time=_time(head.get("appTime")),
    )


# -- the analysis (pure) -------------------------------------------------------------------


def transaction_reasons(
    payment: PaymentFact, order: OrderFact | None, thresholds: Thresholds
) -> list[Reason]:
    """Why one payment is suspicious on its own (no partner judged here).

    >>> from decimal import Decimal as D
    >>> t = datetime(2026, 11, 11, 10)
    >>> p = PaymentFact("P", "", "T1", "O1", "E", "", "A", "", D("10"), "142", t)
    >>> [r.code for r in transaction_reasons(p, None, Thresholds())]
    ['no_order']
    >>> o = OrderFact("O1", "E", "C", "", "B", "", D("12"), t + timedelta(hours=2))
    >>> [r.code for r in transaction_reasons(p, o, Thresholds())]
    ['amount_mismatch', 'buyer_not_payer', 'paid_before_order']
    """
    if order is None:
        return [Reason(NO_ORDER, f"no order {payment.order_no} of platform {payment.ebp_code}")]
    out = []
    if payment.amount.quantize(CENT) != order.paid.quantize(CENT):
        out.append(
            Reason(
                AMOUNT_MISMATCH,
                f"amountPaid {payment.amount.quantize(CENT)} differs from the order's "
                f"acturalPaid {order.paid.quantize(CENT)}",
            )
        )
    if payment.payer_id != order.buyer_id:
        out.append(Reason(BUYER_NOT_PAYER, "the payer is not the order's buyer"))
    if payment.time is not None and order.time is not None:
        gap = payment.time - order.time
        if gap < -timedelta(minutes=thresholds.early_minutes):
            minutes = int(-gap.total_seconds() // 60)
            out.append(
                Reason(
                    PAID_BEFORE_ORDER,
                    f"paid {minutes} min before the order "
                    f"(tolerance {thresholds.early_minutes} min)",
                )
            )
        elif gap > timedelta(hours=thresholds.late_hours):
            hours = int(gap.total_seconds() // 3600)
            out.append(
                Reason(
                    PAID_LONG_AFTER,
                    f"paid {hours} h after the order (threshold {thresholds.late_hours} h)",
                )
            )
    return out


def partner_concerns(
    enterprise: EnterpriseFact, as_of: date, thresholds: Thresholds
) -> tuple[list[str], float]:
    """What is wrong with a partner, and how much it weighs: 1 when flagged or unverified,
    0.5 when only recently filed, 0 otherwise."""
    serious = enterprise.unverified + enterprise.flagged
    recent = enterprise.recently_filed(as_of, thresholds.recent_days)
    concerns = serious + ([recent] if recent else [])
    return concerns, 1.0 if serious else 0.5 if recent else 0.0


@dataclass(slots=True)
class _Partner:
    code: str
    name: str
    role: str
    payments: int = 0
    amount: Decimal = Decimal(0)


@dataclass(slots=True)
class CompanyAnalysis:
    """One payment company's figures, score and explanations (see the module doc)."""

    code: str
    name: str
    company: EnterpriseFact
    payments: int = 0
    amount: Decimal = Decimal(0)
    matched: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    platforms: dict[str, _Partner] = field(default_factory=dict)
    ecommerce: dict[str, _Partner] = field(default_factory=dict)
    partner_concerns: dict[str, tuple[list[str], float]] = field(default_factory=dict)
    suspicious: int = 0
    components: list[ComponentOut] = field(default_factory=list)

    @property
    def score(self) -> float:
        return round(sum(c.points for c in self.components), 1)

    @property
    def explanations(self) -> list[str]:
        ranked = sorted(self.components, key=lambda c: -c.points)
        return [f"{c.explanation} (+{c.points:.1f})" for c in ranked if c.points >= 0.5]

    def share(self, code: str) -> float:
        return self.counts[code] / self.matched if self.matched else 0.0


def _add(partners: dict[str, _Partner], code: str, name: str, role: str, amount: Decimal) -> None:
    partner = partners.get(code)
    if partner is None:
        partner = partners[code] = _Partner(code, name, role)
    partner.payments += 1
    partner.amount += amount


def analyse(
    payments: Iterable[PaymentFact],
    orders: Mapping[tuple[str, str], OrderFact],
    enterprises: Mapping[str, EnterpriseFact],
    thresholds: Thresholds,
    as_of: date,
) -> list[CompanyAnalysis]:
    """Every payment company of ``payments``, scored, highest score first.

    ``orders`` by (orderNo, ebpCode); ``enterprises`` by customs code (a code missing
    there was never filed)."""
    companies: dict[str, CompanyAnalysis] = {}
    for p in payments:
        c = companies.get(p.pay_code)
        if c is None:
            fact = enterprises.get(p.pay_code, EnterpriseFact(p.pay_code))
            c = companies[p.pay_code] = CompanyAnalysis(p.pay_code, fact.name or p.pay_name, fact)
        order = orders.get((p.order_no, p.ebp_code))
        c.payments += 1
        c.amount += p.amount
        _add(c.platforms, p.ebp_code, p.ebp_name, "platform", p.amount)
        if order is not None:
            c.matched += 1
            _add(c.ecommerce, order.ebc_code, order.ebc_name, "ecommerce", p.amount)
        reasons = transaction_reasons(p, order, thresholds)
        c.counts.update(r.code for r in reasons)
        if reasons:
            c.suspicious += 1
    for c in companies.values():
        for partner in (*c.platforms.values(), *c.ecommerce.values()):
            if partner.code not in c.partner_concerns:
                fact = enterprises.get(partner.code, EnterpriseFact(partner.code))
                c.partner_concerns[partner.code] = partner_concerns(fact, as_of, thresholds)
        c.components = _components(c, as_of, thresholds)
    return sorted(companies.values(), key=lambda c: (-c.score, -c.payments, c.code))


def _component(name: str, value: float, explanation: str) -> ComponentOut:
    value = max(0.0, min(1.0, value))
    weight = WEIGHTS[name]
    return ComponentOut(
        name=name,
        weight=weight,
        value=round(value, 4),
        points=round(weight * value, 2),
        explanation=explanation,
    )


def _pct(value: float) -> str:
    return f"{value:.0%}"


def _components(c: CompanyAnalysis, as_of: date, thresholds: Thresholds) -> list[ComponentOut]:
    out = []
    top = max(c.platforms.values(), key=lambda p: (p.amount, p.payments))
    top_share = float(top.amount / c.amount) if c.amount else top.payments / c.payments
    out.append(
        _component(
            "concentration",
            top_share,
            f"{_pct(top_share)} of its volume (¥{top.amount.quantize(CENT):,} of "
            f"¥{c.amount.quantize(CENT):,}) goes to one platform, {top.name} ({top.code})",
        )
    )
    n = len(c.platforms)
    out.append(_component("few_platforms", 1 / n, f"it serves {n} platform{'s' * (n != 1)}"))
    company = c.company
    if company.filed is None:
        out.append(_component("recent_filing", 1.0, "it is not filed with customs"))
    else:
        age = (as_of - company.filed).days
        recent = thresholds.recent_days
        value = 1.0 if age <= recent else 0.5 if age <= 2 * recent else 0.0
        out.append(
            _component(
                "recent_filing",
                value,
                f"filed {company.filed.isoformat()}, {age} days before {as_of.isoformat()} "
                f"(recent: within {recent} days)",
            )
        )
    partners = list(c.partner_concerns.items())
    risky = [(code, concerns) for code, (concerns, weight) in partners if weight > 0]
    value = sum(w for _, (_, w) in partners) / len(partners) if partners else 0.0
    named = "; ".join(f"{code}: {', '.join(concerns)}" for code, concerns in risky[:4])
    out.append(
        _component(
            "risky_partners",
            value,
            f"{len(risky)} of the {len(partners)} platforms and e-commerce enterprises it "
            f"pays for are flagged, unverified or recently filed"
            + (f" ({named}{'; ...' if len(risky) > 4 else ''})" if risky else ""),
        )
    )
    bnp = c.share(BUYER_NOT_PAYER)
    out.append(
        _component(
            "buyer_not_payer",
            bnp,
            f"the payer is not the buyer in {_pct(bnp)} of {c.matched} payments of known orders",
        )
    )
    bad = c.counts[AMOUNT_MISMATCH] + c.counts[NO_ORDER]
    share_bad = bad / c.payments if c.payments else 0.0
    out.append(
        _component(
            "amounts",
            share_bad,
            f"{c.counts[AMOUNT_MISMATCH]} payments differ from the order's amount and "
            f"{c.counts[NO_ORDER]} pay no order ({_pct(share_bad)} of {c.payments})",
        )
    )
    odd = c.share(PAID_BEFORE_ORDER) + c.share(PAID_LONG_AFTER)
    out.append(
        _component(
            "timing",
            odd,
            f"{c.counts[PAID_BEFORE_ORDER]} paid more than {thresholds.early_minutes} min "
            f"before the order and {c.counts[PAID_LONG_AFTER]} more than "
            f"{thresholds.late_hours} h after it",
        )
    )
    return out


def company_out(c: CompanyAnalysis) -> PaymentCompanyOut:
    """The API shape of one company's analysis."""
    concerns = c.partner_concerns
    partners = [*c.platforms.values(), *c.ecommerce.values()]
    weights = [w for _, w in concerns.values()]
    top = max(c.platforms.values(), key=lambda p: (p.amount, p.payments))
    return PaymentCompanyOut(
        code=c.code,
        name=c.name,
        filing_date=c.company.filed,
        status=c.company.status,
        payments=c.payments,
        amount=c.amount.quantize(CENT),
        matched=c.matched,
        platforms=len(c.platforms),
        ecommerce_enterprises=len(c.ecommerce),
        partners_flagged_or_unverified=_ratio(sum(1 for w in weights if w >= 1), len(weights)),
        partners_recently_filed=_ratio(sum(1 for w in weights if w == 0.5), len(weights)),
        top_platform_share=round(float(top.amount / c.amount) if c.amount else 1.0, 4),
        buyer_not_payer=round(c.share(BUYER_NOT_PAYER), 4),
        paid_before_order=round(c.share(PAID_BEFORE_ORDER), 4),
        paid_long_after=round(c.share(PAID_LONG_AFTER), 4),
        amount_mismatch=round(c.share(AMOUNT_MISMATCH), 4),
        without_order=_ratio(c.counts[NO_ORDER], c.payments),
        suspicious=c.suspicious,
        score=c.score,
        explanations=c.explanations,
        components=c.components,
        partners=[
            PartnerOut(
                code=p.code,
                name=p.name,
                role=p.role,
                payments=p.payments,
                amount=p.amount.quantize(CENT),
                share=_ratio(p.payments, c.payments),
                concerns=concerns.get(p.code, ([], 0.0))[0],
            )
            for p in sorted(partners, key=lambda p: (p.role != "platform", -p.amount, p.code))
        ],
    )


def _ratio(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


# -- the service (reads the store) --------------------------------------------------------


@dataclass(slots=True)
class _Loaded:
    payments: list[PaymentFact]
    orders: dict[tuple[str, str], OrderFact]
    enterprises: dict[str, EnterpriseFact]
    as_of: date


def _load(session: Session, pay_code: str | None, as_of: date | None) -> _Loaded:
    payments = [
        p
        for p in map(payment_fact, repository.bodies(session, "payment", pay_code))
        if p is not None and (pay_code is None or p.pay_code == pay_code)
    ]
    orders: dict[tuple[str, str], OrderFact] = {}
    source = (
        repository.bodies(session, "order")
        if pay_code is None
        else repository.order_bodies(session, {p.order_no for p in payments})
    )
    for o in map(order_fact, source):
        if o is not None:
            orders.setdefault((o.order_no, o.ebp_code), o)
    codes = {p.pay_code for p in payments} | {p.ebp_code for p in payments}
    codes |= {o.ebc_code for o in orders.values()}
    now = utcnow()
    flags: dict[str, list[str]] = defaultdict(list)
    for f in repository.enterprise_flags(session, codes):
        live = (f.valid_from is None or f.valid_from <= now) and (
            f.valid_to is None or f.valid_to > now
        )
        # this report's own flags are its output, not evidence about partners
        if live and not (f.source == FLAG_SOURCE and f.kind == FLAG_KIND):
            flags[f.subject_key].append(f"{f.kind} ({f.source})")
    enterprises = {
        code: EnterpriseFact(code, e.name, e.filing_date, e.status, tuple(flags.get(code, ())))
        for code, e in repository.enterprises(session, codes).items()
    }
    for code, found in flags.items():  # flagged, never filed
        enterprises.setdefault(code, EnterpriseFact(code, flags=tuple(found)))
    if as_of is None:
        times = [p.time for p in payments if p.time is not None]
        as_of = max(times).date() if times else now.date()
    return _Loaded(payments, orders, enterprises, as_of)


def report(
    session: Session, thresholds: Thresholds | None = None, *, as_of: date | None = None
) -> PaymentReportOut:
    """Every payment company with payments in the store, ranked by score. ``as_of``
    (default: the day of the latest payment) dates what "recently filed" means."""
    thresholds = thresholds or Thresholds()
    loaded = _load(session, None, as_of)
    ranked = analyse(loaded.payments, loaded.orders, loaded.enterprises, thresholds, loaded.as_of)
    return PaymentReportOut(
        as_of=loaded.as_of,
        thresholds=thresholds.model(),
        companies=[company_out(c) for c in ranked],
    )


def flag(
    session: Session,
    by: Actor,
    thresholds: Thresholds | None = None,
    *,
    as_of: date | None = None,
) -> FlagRunOut:
    """Flag every payment company scoring ``thresholds.flag_score`` or more: a
    ``risk_flags`` row (source ``payment``, kind ``payment_concentration``, score 0..1,
    the explanations as reason). A company's earlier flag of this kind ends when the new
    one is written; each flag is written to the audit log. Flushes, never commits."""
    thresholds = thresholds or Thresholds()
    out = report(session, thresholds, as_of=as_of)
    now = utcnow()
    flagged = []
    for c in out.companies:
        if c.score < thresholds.flag_score:
            continue
        for old in repository.live_flags(session, c.code, FLAG_SOURCE, FLAG_KIND, now):
            old.valid_to = now
        reason = f"payment-company score {c.score:.1f}: " + "; ".join(c.explanations)
        row = repository.add(
            session,
            RiskFlag(
                subject_kind="enterprise",
                subject_key=c.code,
                source=FLAG_SOURCE,
                kind=FLAG_KIND,
                score=round(c.score / 100, 4),
                reason=reason,
                valid_from=now,
                created_at=now,
                created_by=by.name,
            ),
        )
        audit.record(
            session,
            actor_kind=by.kind,
            actor=by.name,
            action="risk_flag.add",
            subject_kind="enterprise",
            subject_key=c.code,
            reason=reason,
            details={"source": FLAG_SOURCE, "kind": FLAG_KIND, "score": row.score},
        )
        flagged.append(FlaggedOut(code=c.code, score=c.score, flag_id=row.id, reason=reason))
    return FlagRunOut(threshold=thresholds.flag_score, flagged=flagged)


def mask_id_last4(value: str | None) -> str:
    """Keep only the last 4 characters: ``110105194912310021`` -> ``**************0021``."""
    if not value:
        return ""
    return "*" * max(len(value) - 4, 0) + value[-4:]


def verification_requests(
    session: Session,
    pay_code: str,
    by: Actor,
    thresholds: Thresholds | None = None,
    *,
    as_of: date | None = None,
) -> VerificationExportOut:
    """The suspicious transactions of one payment company, as requests to verify them:
    every payment with a reason of its own (no order, amount, payer, timing) or paying a
    flagged, unverified or recently filed platform or e-commerce enterprise. The export is
    written to the audit log (who took which company's transactions out)."""
    thresholds = thresholds or Thresholds()
    if not pay_code.strip():
        raise BadRequest(
            "a payment company code is required",
            fields=[FieldError("code", "required", "the payment company's customs code")],
        )
    loaded = _load(session, pay_code, as_of)
    if not loaded.payments:
        known = repository.enterprise(session, pay_code)
        raise NotFound(
            f"no payments of payment company {pay_code}"
            + ("" if known is not None else " (not a filed enterprise)")
        )
    [company] = analyse(
        loaded.payments, loaded.orders, loaded.enterprises, thresholds, loaded.as_of
    )
    requests = []
    for p in loaded.payments:
        order = loaded.orders.get((p.order_no, p.ebp_code))
        reasons = transaction_reasons(p, order, thresholds)
        partners = [(p.ebp_code, "platform")]
        if order is not None:
            partners.append((order.ebc_code, "e-commerce enterprise"))
        for code, role in dict.fromkeys(partners):
            concerns, weight = company.partner_concerns.get(code, ([], 0.0))
            if weight > 0:
                reasons.append(Reason(RISKY_PARTNER, f"{role} {code}: {', '.join(concerns)}"))
        if reasons:
            requests.append(_request(p, order, reasons))
    out = VerificationExportOut(
        pay_code=company.code,
        pay_name=company.name,
        generated_at=utcnow(),
        as_of=loaded.as_of,
        score=company.score,
        explanations=company.explanations,
        thresholds=thresholds.model(),
        requests=requests,
    )
    audit.record(
        session,
        actor_kind=by.kind,
        actor=by.name,
        action="payment.verification_export",
        subject_kind="enterprise",
        subject_key=company.code,
        reason=f"{len(requests)} verification requests",
        details={"requests": len(requests), "score": company.score},
    )
    return out


def _request(
    p: PaymentFact, order: OrderFact | None, reasons: Sequence[Reason]
) -> VerificationRequestOut:
    return VerificationRequestOut(
        pay_transaction_id=p.transaction_id,
        order_no=p.order_no,
        ebp_code=p.ebp_code,
        ebp_name=p.ebp_name,
        ebc_code=order.ebc_code if order else None,
        amount_paid=p.amount.quantize(CENT),
        order_paid=order.paid.quantize(CENT) if order else None,
        currency=p.currency,
        pay_time=p.time,
        order_time=order.time if order else None,
        payer_id=mask_id_last4(p.payer_id),
        payer_name=mask_name(p.payer_name),
        buyer_id=mask_id_last4(order.buyer_id) if order else None,
        payer_is_buyer=(p.payer_id == order.buyer_id) if order else None,
        reasons=list(dict.fromkeys(r.code for r in reasons)),
        reason_text="; ".join(r.text for r in reasons),
    )


CSV_COLUMNS = (
    "payTransactionId",
    "orderNo",
    "ebpCode",
    "ebpName",
    "ebcCode",
    "amountPaid",
    "orderPaid",
    "currency",
    "payTime",
    "orderTime",
    "payerId",
    "payerName",
    "buyerId",
    "payerIsBuyer",
    "reasons",
    "reasonText",
)


def render(export: VerificationExportOut, fmt: str) -> str:
    """The export as ``csv`` (one request a line, a header first) or ``json``."""
    if fmt not in FORMATS:
        raise BadRequest(
            f"unknown export format {fmt!r}",
            fields=[FieldError("format", "one_of", f"one of {', '.join(FORMATS)}")],
        )
    if fmt == "json":
        return export.model_dump_json(indent=2) + "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in export.requests:
        row = r.model_dump(mode="json", by_alias=True)
        row["reasons"] = " ".join(r.reasons)
        row["payerIsBuyer"] = "" if r.payer_is_buyer is None else str(r.payer_is_buyer).lower()
        writer.writerow(["" if row[c] is None else row[c] for c in CSV_COLUMNS])
    return buffer.getvalue()
