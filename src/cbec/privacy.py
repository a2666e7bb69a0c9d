"""Masking of personal data (ID numbers, names, phones, addresses) for logs and screens."""

from __future__ import annotations

import logging
import re


def mask_id(value: str | None) -> str:
    """Keep the first 3 and last 2 characters: ``110105********123X`` -> ``110*************3X``."""
    if not value:
        return ""
    if len(value) <= 5:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


def mask_name(value: str | None) -> str:
    """Keep the first character of a name: ``张三丰`` -> ``张**``."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)


def mask_phone(value: str | None) -> str:
    """Keep the first 3 and last 4 digits: ``13812345678`` -> ``138****5678``."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_address(value: str | None) -> str:
    """Keep the first 6 characters (province and city), mask the rest."""
    if not value:
        return ""
    keep = min(6, len(value) // 2)
    return value[:keep] + "*" * (len(value) - keep)


_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_PHONE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def scrub(text: str) -> str:
    """Mask resident ID numbers and mobile numbers wherever they occur in free text."""
    text = _ID_RE.sub(lambda m: m.group(1)[:3] + "*" * 13 + m.group(3)[-2:], text)
    return _PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


class MaskingFilter(logging.Filter):
    """A logging filter that scrubs ID numbers and phones from every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = scrub(message)
        if scrubbed != message:
            record.msg = scrubbed
            record.args = None
        return True


def configure_logging(level: str = "INFO") -> None:
    """Log to stderr through the masking filter."""
    logger = logging.getLogger("cbec")
    if not any(isinstance(f, MaskingFilter) for f in logger.filters):
        logger.addFilter(MaskingFilter())
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        handler.addFilter(MaskingFilter())
        logger.addHandler(handler)
    logger.setLevel(level)
