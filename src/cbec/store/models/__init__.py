"""All tables, on one metadata, so relationships and Alembic see them together."""

from cbec.store.models.audit import AuditEntry
from cbec.store.models.base import Base, utcnow
from cbec.store.models.catalog import CatalogEdition, HsCode, PolicyParameter, PositiveListLine
from cbec.store.models.clearance import Declaration, DeclarationEvent, QuotaUsage, TaxBill
from cbec.store.models.enterprise import ApiCredential, Enterprise, EnterpriseRole
from cbec.store.models.message import DeadLetter, Document, InboundMessage, Receipt
from cbec.store.models.officer import Officer, OfficerRole, OfficerSession
from cbec.store.models.risk import (
    Case,
    CaseEvidence,
    CaseLabel,
    ControlInstruction,
    EnterpriseClass,
    RiskAssessment,
    RiskCounter,
    RiskFlag,
    RiskLink,
    Rule,
    RuleHit,
    RuleSet,
)

__all__ = [
    "ApiCredential",
    "AuditEntry",
    "Base",
    "Case",
    "CaseEvidence",
    "CaseLabel",
    "CatalogEdition",
    "ControlInstruction",
    "DeadLetter",
    "Declaration",
    "DeclarationEvent",
    "Document",
    "Enterprise",
    "EnterpriseClass",
    "EnterpriseRole",
    "HsCode",
    "InboundMessage",
    "Officer",
    "OfficerRole",
    "OfficerSession",
    "PolicyParameter",
    "PositiveListLine",
    "QuotaUsage",
    "Receipt",
    "RiskAssessment",
    "RiskCounter",
    "RiskFlag",
    "RiskLink",
    "Rule",
    "RuleHit",
    "RuleSet",
    "TaxBill",
    "utcnow",
]
