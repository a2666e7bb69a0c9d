"""Personal data kept out of the audit log: known PII keys masked, IDs and phones scrubbed.

Keys are matched without regard to case or underscores, so ``buyerIdNumber`` (the CEB
spelling) and ``buyer_id_number`` (ours inside) are both masked, at any depth.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cbec.privacy import mask_address, mask_id, mask_name, mask_phone, scrub


def _key(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


_MASKS: dict[str, Callable[[str | None], str]] = {
    **{
        _key(k): mask_id
        for k in ("buyerIdNumber", "payerIdNumber", "idNumber", "buyerRegNo", "consigneeIdNumber")
    },
    **{
        _key(k): mask_name
        # "consingee" is how CEB511 spells it.
        for k in ("buyerName", "payerName", "consignee", "consingee", "consigneeName")
    },
    **{
        _key(k): mask_phone
        for k in ("buyerTelephone", "payerTelephone", "consigneeTelephone", "telephone", "phone")
    },
    **{_key(k): mask_address for k in ("consigneeAddress", "buyerAddress", "address")},
}

#: The keys whose values are masked (normalised: lower case, no underscores).
PII_KEYS = frozenset(_MASKS)


def mask_value(key: str, value: Any) -> Any:
    """``value`` as it may be written under ``key``."""
    mask = _MASKS.get(_key(key))
    if mask is not None and value is not None and not isinstance(value, Mapping | list):
        return mask(str(value))
    return mask_details(value)


def mask_details(value: Any) -> Any:
    """A copy of ``value`` with every known PII key masked and ID numbers and mobile
    numbers scrubbed from all other text.

    >>> mask_details({"buyerIdNumber": "11010519491231002X", "lines": [{"buyerName": "张三丰"}]})
    {'buyerIdNumber': '110*************2X', 'lines': [{'buyerName': '张**'}]}
    >>> mask_details({"note": "called 13812345678"})
    {'note': 'called 138****5678'}
    """
    if isinstance(value, Mapping):
        return {str(k): mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_details(v) for v in value]
    if isinstance(value, str):
        return scrub(value)
    return value
