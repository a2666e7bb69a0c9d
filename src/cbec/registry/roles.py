"""The roles an enterprise can be filed under, and what each may send."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PLATFORM = "platform"  # e-commerce platform (ebp)
    ECOMMERCE = "ecommerce"  # e-commerce enterprise (ebc), seller or its domestic agent
    PAYMENT = "payment"  # payment enterprise (pay)
    LOGISTICS = "logistics"  # logistics enterprise
    AGENT = "agent"  # declaration agent
    AREA = "area"  # bonded warehouse / zone operator


class Status(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


#: Message types each role may send (DOMAIN.md, "Who signs and sends").
SENDABLE: dict[Role, frozenset[str]] = {
    Role.PLATFORM: frozenset({"CEB311", "CEB303"}),
    Role.ECOMMERCE: frozenset(
        {"CEB311", "CEB621", "CEB623", "CEB625", "CEB303", "CEB603", "CEB701"}
    ),
    Role.PAYMENT: frozenset({"CEB411"}),
    # export waybill, arrival report and departure (an arrival or departure may also come
    # from the operator of the supervised site the goods pass through)
    Role.LOGISTICS: frozenset({"CEB511", "CEB505", "CEB507", "CEB509"}),
    Role.AGENT: frozenset({"CEB621", "CEB623", "CEB625", "CEB603", "CEB701"}),
    Role.AREA: frozenset({"CEB711", "CEB507", "CEB509"}),
}


def sendable(roles: list[str]) -> frozenset[str]:
    """The message types an enterprise holding ``roles`` may send."""
    allowed: set[str] = set()
    for role in roles:
        allowed |= SENDABLE.get(Role(role), frozenset())
    return frozenset(allowed)
