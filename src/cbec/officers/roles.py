"""The roles a customs officer can hold; each officer action checks one of them."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    REVIEWER = "reviewer"  # approves or rejects lists held for manual review
    INSPECTOR = "inspector"  # records inspection results: conform, discrepancy, seizure
    RISK_ANALYST = "risk_analyst"  # maintains risk rules, reads the audit log
    INVESTIGATOR = "investigator"  # anti-smuggling department: works the case clues
    ADMINISTRATOR = "administrator"  # manages officers and enterprises, reads the audit log
