"""Pydantic bases shared by every API edge: camelCase JSON, snake_case attributes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    """camelCase JSON keys, snake_case attributes."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )


class InputModel(CamelModel):
    """A request body: a misspelt key must not be silently dropped."""

    model_config = ConfigDict(extra="forbid")
