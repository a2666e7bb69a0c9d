"""Pydantic bases shared by every API edge: camelCase JSON, snake_case attributes."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic.alias_generators import to_camel

#: Characters no text of cbec may hold: the C0 controls but tab and line breaks, as in XML
#: (PostgreSQL refuses NUL in text outright; the others are never meant in a name or a
#: reason and hide what a reader sees).
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
CONTROL_RULE = "no control characters (U+0000-U+001F but tab and line breaks)"


def has_control(value: Any) -> bool:
    """Whether ``value`` (text, or a list or dict of them) holds a forbidden character."""
    if isinstance(value, str):
        return CONTROL.search(value) is not None
    if isinstance(value, list | tuple):
        return any(has_control(v) for v in value)
    if isinstance(value, dict):
        return any(has_control(k) or has_control(v) for k, v in value.items())
    return False


class CamelModel(BaseModel):
    """camelCase JSON keys, snake_case attributes."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )


class InputModel(CamelModel):
    """A request body: a misspelt key must not be silently dropped, and no text may hold a
    control character (the error names the field)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if has_control(value):
            raise ValueError(f"text must hold {CONTROL_RULE}")
        return value
