"""What a check finds: a named rule, where, and in words. Codes appear in receipts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    #: the list cannot clear: rejected (100)
    REJECT = "reject"
    #: an officer must look: manual review (300)
    REVIEW = "review"
    #: recorded, no effect on the decision
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule that did not pass, e.g. ``C02.buyer`` at ``Payment/PaymentHead/payerIdNumber``."""

    rule: str
    path: str
    message: str
    severity: Severity = Severity.REJECT

    def __str__(self) -> str:
        return f"[{self.rule}] {self.path}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "path": self.path,
            "message": self.message,
            "severity": self.severity.value,
        }
