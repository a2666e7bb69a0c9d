"""Reading ``labels.json`` (``cbec-labels/1``, the ground truth ``cbec sim`` writes) back:
one model of its shape for every evaluation that reads it (``cbec risk quality``,
``cbec network evaluate``, the portrait evaluation), so that a file of another shape is
one error naming the file, the field path and what was expected, never a crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from cbec.errors import BadRequest, FieldError

LABELS_FORMAT = "cbec-labels/1"


class _Shape(BaseModel):
    # strict: a number is not taken for an ID number, nor a string for a list
    model_config = ConfigDict(extra="allow", strict=True)


class LabelledNetwork(_Shape):
    """One planted network: its pattern and the ID numbers of its members."""

    pattern: str
    identities: list[str]
    phones: list[str] = []
    addresses: list[str] = []


class Labels(_Shape):
    """``labels.json``: patterns per order number, per enterprise customs code and per ID
    number, the planted networks, and what each pattern is. Every part may be left out
    (an evaluation then finds no fraud of that kind); the format, if given, is this one."""

    format: Literal["cbec-labels/1"] | None = None
    seed: int | None = None
    orders: dict[str, list[str]] = {}
    enterprises: dict[str, list[str]] = {}
    identities: dict[str, list[str]] = {}
    networks: list[LabelledNetwork] = []
    patterns: dict[str, str] = {}


def _shape(value: Any) -> str:
    """What a JSON value is, in words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    kinds = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}
    return kinds.get(type(value), type(value).__name__)


#: What a field of each kind must be, in words (pydantic's error type: its message).
_EXPECTED = {
    "model_type": "an object",
    "dict_type": "an object",
    "list_type": "a list",
    "string_type": "a string",
    "int_type": "a whole number",
    "literal_error": repr(LABELS_FORMAT),
    "missing": "required",
}


def check_labels(data: Any, where: str) -> dict[str, Any]:
    """``data`` (a parsed ``labels.json``) if it has the shape of :class:`Labels`;
    otherwise :class:`BadRequest` with one problem per field, each named ``where`` (the
    file, or the option and file) and the field's path."""
    try:
        Labels.model_validate(data)
    except ValidationError as exc:
        problems = []
        for e in exc.errors():
            at = f"{where} at {'/'.join(str(p) for p in e['loc'])}" if e["loc"] else where
            expected = _EXPECTED.get(e["type"], str(e["msg"]))
            if not e["loc"]:
                expected += f" ({LABELS_FORMAT}, as cbec sim writes labels.json)"
            if e["type"] != "missing":
                expected += f" expected; got {_shape(e['input'])}"
            problems.append(FieldError(at, e["type"], expected))
        raise BadRequest(f"{where} is not a {LABELS_FORMAT} document", fields=problems) from None
    assert isinstance(data, dict)
    return data


def read_labels(path: Path, where: str | None = None) -> dict[str, Any]:
    """The ``labels.json`` at ``path``, checked; unreadable, not JSON or of another shape:
    :class:`BadRequest` naming ``where`` (default: the path)."""
    where = where or str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadRequest(
            f"cannot read {path}",
            fields=[FieldError(where, "json_file", f"a JSON file that can be read ({exc})")],
        ) from None
    return check_labels(data, where)
