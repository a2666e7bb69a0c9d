"""All tables, on one metadata, so relationships and Alembic see them together."""

from cbec.store.models.base import Base, utcnow
from cbec.store.models.enterprise import ApiCredential, Enterprise, EnterpriseRole
from cbec.store.models.message import DeadLetter, Document, InboundMessage, Receipt

__all__ = [
    "ApiCredential",
    "Base",
    "DeadLetter",
    "Document",
    "Enterprise",
    "EnterpriseRole",
    "InboundMessage",
    "Receipt",
    "utcnow",
]
