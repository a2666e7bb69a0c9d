"""All tables, on one metadata, so relationships and Alembic see them together."""

from cbec.store.models.audit import AuditEntry
from cbec.store.models.base import Base, utcnow
from cbec.store.models.catalog import CatalogEdition, HsCode, PolicyParameter, PositiveListLine
from cbec.store.models.clearance import Declaration, DeclarationEvent, QuotaUsage, TaxBill
from cbec.store.models.consumer import (
    ConsumerDispute,
    ConsumerDisputeList,
    IdentityNotice,
    NoticeSubscription,
)
from cbec.store.models.enterprise import ApiCredential, Enterprise, EnterpriseRole
from cbec.store.models.export import (
    ExportDeclaration,
    ExportDeclarationLink,
    ExportList,
    ExportListLine,
    ExportMovement,
    ExportSummary,
)
from cbec.store.models.keys import StoreKey
from cbec.store.models.message import DeadLetter, Document, InboundMessage, Receipt
from cbec.store.models.network import Network, NetworkEdge, NetworkNode, NetworkRun
from cbec.store.models.officer import (
    Officer,
    OfficerRole,
    OfficerSession,
    OfficerSignInFailures,
)
from cbec.store.models.portrait import CatalogueItem, PlatformCheck, Rating, RatingItem
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
from cbec.store.models.tax import TaxPayment, TaxStatement
from cbec.store.models.warehouse import (
    BondedAccount,
    BondedGoods,
    StockCount,
    StockMovement,
    StockReservation,
)

__all__ = [
    "ApiCredential",
    "AuditEntry",
    "Base",
    "BondedAccount",
    "BondedGoods",
    "Case",
    "CaseEvidence",
    "CaseLabel",
    "CatalogEdition",
    "CatalogueItem",
    "ConsumerDispute",
    "ConsumerDisputeList",
    "ControlInstruction",
    "DeadLetter",
    "Declaration",
    "DeclarationEvent",
    "Document",
    "Enterprise",
    "EnterpriseClass",
    "EnterpriseRole",
    "ExportDeclaration",
    "ExportDeclarationLink",
    "ExportList",
    "ExportListLine",
    "ExportMovement",
    "ExportSummary",
    "HsCode",
    "IdentityNotice",
    "InboundMessage",
    "Network",
    "NetworkEdge",
    "NetworkNode",
    "NetworkRun",
    "NoticeSubscription",
    "Officer",
    "OfficerRole",
    "OfficerSession",
    "OfficerSignInFailures",
    "PlatformCheck",
    "PolicyParameter",
    "PositiveListLine",
    "QuotaUsage",
    "Rating",
    "RatingItem",
    "Receipt",
    "RiskAssessment",
    "RiskCounter",
    "RiskFlag",
    "RiskLink",
    "Rule",
    "RuleHit",
    "RuleSet",
    "StockCount",
    "StockMovement",
    "StockReservation",
    "StoreKey",
    "TaxBill",
    "TaxPayment",
    "TaxStatement",
    "utcnow",
]
