"""Shapes of the portrait API (the CLI validates its input with the same models)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field, ValidationError, field_validator, model_validator

from cbec.bounds import INTEGER_MAX
from cbec.errors import BadRequest, FieldError
from cbec.portrait.classes import CLASSES
from cbec.privacy import scrub
from cbec.schemas import CamelModel, InputModel
from cbec.store.models import CatalogueItem, EnterpriseClass, PlatformCheck, Rating, RatingItem

Check = Literal["login", "register", "buy", "shipped", "goods", "traffic", "qualification"]
Result = Literal["pass", "fail", "inconclusive"]
ClassCode = Annotated[str, Field(pattern=r"^[A-D]$")]
Code = Annotated[str, Field(pattern=r"^[0-9A-Za-z]{10}$")]
M = TypeVar("M", bound=InputModel)


def parse(model: type[M], data: Any) -> M:
    """``data`` as ``model``, or :class:`BadRequest` naming each field path and rule."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadRequest(
            f"invalid {model.__name__}",
            fields=[
                FieldError("/".join(str(p) for p in e["loc"]) or "(body)", e["type"], str(e["msg"]))
                for e in exc.errors()
            ],
        ) from None


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("give a UTC offset, e.g. 2026-11-11T00:00:00+08:00")
    return value


class CheckIn(InputModel):
    """An officer's verification of a platform: which check, the result, the evidence.
    A ``traffic`` check gives the orders the platform reported for a period (cleared goods
    are compared with the product catalogue filed for the platform, not with the check)."""

    check: Check
    result: Result
    evidence: str = Field(min_length=1, max_length=4000)
    checked_on: date
    reported_orders: int | None = Field(default=None, ge=0, le=INTEGER_MAX)
    period_from: date | None = None
    period_to: date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> CheckIn:
        if self.check == "traffic" and (
            self.reported_orders is None or self.period_from is None or self.period_to is None
        ):
            raise ValueError("a traffic check needs reportedOrders, periodFrom and periodTo")
        if self.period_from and self.period_to and self.period_to < self.period_from:
            raise ValueError("periodTo must not come before periodFrom")
        return self


Trimmed = r"^\S(.*\S)?$"


class CatalogueGoods(InputModel):
    """What an item of a product catalogue says about the goods (an amendment gives it)."""

    goods_name: str = Field(min_length=1, max_length=250, pattern=Trimmed)
    #: the 10-digit HS code (the list lines' gcode)
    hs_code: str = Field(pattern=r"^[0-9]{10}$")
    #: the brand, or 无品牌 (no brand)
    brand: str = Field(min_length=1, max_length=100, pattern=Trimmed)
    #: specification and model (the list lines' gmodel)
    spec: str = Field(min_length=1, max_length=255, pattern=Trimmed)


class CatalogueItemIn(CatalogueGoods):
    """One item of a product catalogue: the enterprise's item number (the list lines'
    itemNo) and the goods. Filed as of today."""

    item_no: str = Field(min_length=1, max_length=60, pattern=Trimmed)


class CatalogueImportItem(CatalogueItemIn):
    """An item in an imported catalogue, with the date it was filed (default today)."""

    filed_on: date | None = None


class CatalogueFiling(InputModel):
    """Items filed at once: all or none."""

    items: list[CatalogueItemIn] = Field(min_length=1, max_length=5000)


class CatalogueImport(InputModel):
    """One enterprise's catalogue in an import file (``cbec-catalogues/1``)."""

    enterprise_code: Code
    items: list[CatalogueImportItem] = Field(max_length=100_000)


class CatalogueDocument(InputModel):
    """``cbec-catalogues/1`` (``cbec sim`` writes one): catalogues of several enterprises."""

    format: Literal["cbec-catalogues/1"]
    catalogues: list[CatalogueImport]


class CatalogueItemOut(CamelModel):
    enterprise_code: str
    item_no: str
    goods_name: str
    hs_code: str
    brand: str
    spec: str
    filed_on: date
    withdrawn_on: date | None
    version: int
    updated_at: datetime
    updated_by: str

    @classmethod
    def of(cls, row: CatalogueItem) -> CatalogueItemOut:
        return cls(
            enterprise_code=row.enterprise_code,
            item_no=row.item_no,
            goods_name=row.goods_name,
            hs_code=row.hs_code,
            brand=row.brand,
            spec=row.spec,
            filed_on=row.filed_on,
            withdrawn_on=row.withdrawn_on,
            version=row.version,
            updated_at=row.updated_at,
            updated_by=row.updated_by,
        )


class CheckOut(CamelModel):
    id: int
    platform_code: str
    check: str
    result: str
    evidence: str
    checked_on: date
    officer: str
    reported_orders: int | None
    period_from: date | None
    period_to: date | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: PlatformCheck) -> CheckOut:
        return cls(
            id=row.id,
            platform_code=row.platform_code,
            check=row.check,
            result=row.result,
            evidence=scrub(row.evidence),  # free text: no ID or phone numbers shown
            checked_on=row.checked_on,
            officer=row.officer,
            reported_orders=row.reported_orders,
            period_from=row.period_from,
            period_to=row.period_to,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class AutomaticOut(CamelModel):
    name: str
    result: str
    value: float | None
    detail: str
    #: how many the check found wanting (e.g. cleared lines absent from the catalogue)
    count: int | None = None
    examples: list[dict[str, Any]] = Field(default_factory=list)


class VerificationOut(CamelModel):
    platform_code: str
    status: str
    #: the latest officer check of each kind (missing kinds are not done yet)
    latest: dict[str, CheckOut]
    automatic: list[AutomaticOut]
    checks: list[CheckOut]
    #: whether a ``platform_unverified`` flag feeds risk control now
    flagged: bool


class ContributionOut(CamelModel):
    feature: str
    value: Any
    points: float
    rule: str


class ClassRowOut(CamelModel):
    """One class change of an enterprise (the history): when, which class, who, why."""

    id: int
    class_code: str
    source: str
    score: float | None
    reason: str
    valid_from: datetime | None
    valid_to: datetime | None
    created_at: datetime
    created_by: str
    review_rate: float | None
    inspection_rate: float | None
    open_rate: float | None
    in_force: bool = False

    @classmethod
    def of(cls, row: EnterpriseClass, in_force: bool = False) -> ClassRowOut:
        inspection = (
            None
            if row.xray_rate is None or row.open_rate is None
            else round(row.xray_rate + row.open_rate, 6)
        )
        return cls(
            id=row.id,
            class_code=row.class_code,
            source=row.source,
            score=row.score,
            reason=scrub(row.reason),
            valid_from=row.valid_from,
            valid_to=row.valid_to,
            created_at=row.created_at,
            created_by=row.created_by,
            review_rate=row.review_rate,
            inspection_rate=inspection,
            open_rate=row.open_rate,
            in_force=in_force,
        )


class PortraitOut(CamelModel):
    code: str
    name: str
    roles: list[str]
    window_from: datetime
    window_to: datetime
    score: float
    by_score: str
    proposed_class: str
    caps: list[str]
    contributions: list[ContributionOut]
    facts: dict[str, Any]
    class_in_force: ClassRowOut | None
    history: list[ClassRowOut]
    verification: VerificationOut | None = None


class RatingIn(InputModel):
    """Compute a proposed re-rating over [windowFrom, windowTo) (default: the last
    ``days`` days)."""

    window_from: datetime | None = None
    window_to: datetime | None = None
    days: int = Field(default=365, ge=1, le=3660)

    _check_from = field_validator("window_from")(_aware)
    _check_to = field_validator("window_to")(_aware)

    @model_validator(mode="after")
    def _window(self) -> RatingIn:
        if self.window_from and self.window_to and self.window_to <= self.window_from:
            raise ValueError("windowTo must come after windowFrom")
        return self


class PublishIn(InputModel):
    """Publish a proposal, keeping another class for some enterprises (``overrides``:
    customs code -> class), with the reason."""

    reason: str = Field(min_length=1, max_length=2000)
    overrides: dict[Code, ClassCode] = Field(default_factory=dict)


class DiscardIn(InputModel):
    reason: str = Field(min_length=1, max_length=2000)


class EmergencyIn(InputModel):
    """Change an enterprise's class at once (it applies to the next decision)."""

    class_code: ClassCode
    reason: str = Field(min_length=1, max_length=2000)
    valid_to: datetime | None = None

    _check_to = field_validator("valid_to")(_aware)


class RatingItemOut(CamelModel):
    enterprise_code: str
    current_class: str | None
    proposed_class: str
    final_class: str | None
    score: float
    reason: str

    @classmethod
    def of(cls, row: RatingItem) -> RatingItemOut:
        return cls(
            enterprise_code=row.enterprise_code,
            current_class=row.current_class,
            proposed_class=row.proposed_class,
            final_class=row.final_class,
            score=row.score,
            reason=scrub(row.reason),
        )


class RatingOut(CamelModel):
    id: int
    status: str
    window_from: datetime
    window_to: datetime
    created_at: datetime
    created_by: str
    decided_at: datetime | None
    decided_by: str | None
    note: str
    #: enterprises whose proposed class differs from the class in force
    changes: int
    items: list[RatingItemOut]

    @classmethod
    def of(cls, row: Rating, items: list[RatingItem]) -> RatingOut:
        return cls(
            id=row.id,
            status=row.status,
            window_from=row.window_from,
            window_to=row.window_to,
            created_at=row.created_at,
            created_by=row.created_by,
            decided_at=row.decided_at,
            decided_by=row.decided_by,
            note=scrub(row.note),
            changes=sum(1 for i in items if i.proposed_class != i.current_class),
            items=[RatingItemOut.of(i) for i in items],
        )


class ClassOut(CamelModel):
    code: str
    name: str
    review_rate: float
    xray_rate: float
    open_rate: float
    inspection_rate: float
    inspection_caps: dict[str, float]
    min_score: float | None


def classes_out() -> list[ClassOut]:
    return [
        ClassOut(
            code=c.code,
            name=c.name,
            review_rate=c.review,
            xray_rate=c.xray,
            open_rate=c.open,
            inspection_rate=round(c.inspection, 6),
            inspection_caps=c.caps,
            min_score=None if c.min_score == float("-inf") else c.min_score,
        )
        for c in CLASSES.values()
    ]
