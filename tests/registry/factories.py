"""Plain factories for registry tests: valid USCCs, filings, registry documents."""

from __future__ import annotations

from typing import Any

from stdnum.cn import uscc as stdnum_uscc

from cbec.registry.schemas import EnterpriseFiling

PLATFORM_CODE = "4401960001"
EBC_CODE = "4401960002"
PAY_CODE = "4401960003"


def valid_uscc(n: int) -> str:
    """A USCC with a correct check digit, different for each ``n``."""
    base = f"91440101MA5C{n:05d}"
    return base + stdnum_uscc.calc_check_digit(base)


def bad_checksum(uscc: str) -> str:
    """``uscc`` with a wrong check digit."""
    wrong = "0" if uscc[-1] != "0" else "1"
    return uscc[:-1] + wrong


def filing(
    code: str = PLATFORM_CODE, n: int = 1, *, roles: list[str] | None = None, **fields: Any
) -> EnterpriseFiling:
    data: dict[str, Any] = {
        "customsCode": code,
        "uscc": valid_uscc(n),
        "name": f"南沙优选跨境平台 {n}",
        "roles": roles if roles is not None else ["platform"],
    }
    data.update(fields)
    return EnterpriseFiling.model_validate(data)


def entry(code: str, n: int, *roles: str, **fields: Any) -> dict[str, Any]:
    """One ``enterprises`` entry of a registry file, as ``cbec sim`` writes it."""
    data: dict[str, Any] = {
        "customsCode": code,
        "uscc": valid_uscc(n),
        "name": f"企业 {n}",
        "roles": list(roles) or ["ecommerce"],
        "status": "active",
        "filingDate": "2024-03-01",
    }
    data.update(fields)
    return data


def registry(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"format": "cbec-registry/1", "enterprises": list(entries)}


def sample_registry() -> dict[str, Any]:
    """Three enterprises, one of them suspended, as a demo registry file holds them."""
    return registry(
        entry(PLATFORM_CODE, 1, "platform", "ecommerce"),
        entry(EBC_CODE, 2, "ecommerce"),
        entry(PAY_CODE, 3, "payment", status="suspended"),
    )
