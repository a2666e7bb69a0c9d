"""Reading a written day back: files, JSON documents and messages grouped by order."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cbec.messages.codec import from_xml
from cbec.messages.models import DeclarationMessage
from cbec.sim.simulation import Day

_HEADS = {
    "CEB311": ("order", "orderHead"),
    "CEB411": ("payment", "paymentHead"),
    "CEB511": ("logistics", "logisticsHead"),
    "CEB621": ("inventory", "inventoryHead"),
    "CEB623": ("invtCancel", None),
    "CEB625": ("invtRefund", "invtRefundHead"),
}


def head(message: DeclarationMessage) -> Any:
    """The head node of a message (the node holding orderNo)."""
    business, name = _HEADS[message.MESSAGE_TYPE]
    node = getattr(message, business)
    return getattr(node, name) if name else node


def seconds(app_time: str) -> int:
    """``yyyyMMddHHmmss`` -> seconds after midnight."""
    return int(app_time[8:10]) * 3600 + int(app_time[10:12]) * 60 + int(app_time[12:14])


def folder_digest(root: Path) -> str:
    """SHA-256 over every file's relative path and bytes under ``root``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass
class Written:
    """A written day: the generated plan, the files and the parsed messages."""

    out: Path
    day: Day
    registry: dict[str, Any]
    labels: dict[str, Any]
    names: list[str]
    raw: list[bytes]
    messages: list[DeclarationMessage]
    #: first deliveries only, per order and message type, in arrival order
    by_order: dict[str, dict[str, list[DeclarationMessage]]] = field(default_factory=dict)
    _positions: dict[int, int] = field(default_factory=dict)

    @classmethod
    def read(cls, out: Path, day: Day) -> Written:
        folder = out / "messages"
        names = sorted(p.name for p in folder.iterdir())
        raw = [(folder / name).read_bytes() for name in names]
        messages = []
        for data in raw:
            message = from_xml(data)
            assert isinstance(message, DeclarationMessage)
            messages.append(message)
        grouped: dict[str, dict[str, list[DeclarationMessage]]] = defaultdict(
            lambda: defaultdict(list)
        )
        seen: set[str] = set()
        for message in messages:
            if message.guid in seen:  # a redelivery: the intake drops it
                continue
            seen.add(message.guid)
            grouped[head(message).orderNo][message.MESSAGE_TYPE].append(message)
        return cls(
            out=out,
            day=day,
            registry=json.loads((out / "registry.json").read_text(encoding="utf-8")),
            labels=json.loads((out / "labels.json").read_text(encoding="utf-8")),
            names=names,
            raw=raw,
            messages=messages,
            by_order=grouped,
        )

    def position(self, message: DeclarationMessage) -> int:
        """Where ``message`` arrived (0-based index in arrival order)."""
        if not self._positions:
            self._positions = {id(m): i for i, m in enumerate(self.messages)}
        return self._positions[id(message)]

    def last(self, order_no: str, message_type: str) -> Any:
        """The head of the latest version of ``message_type`` for an order."""
        return head(self.by_order[order_no][message_type][-1])

    def lines(self, order_no: str, message_type: str) -> list[Any]:
        message = self.by_order[order_no][message_type][-1]
        if message_type == "CEB311":
            return list(message.order.orderList)  # type: ignore[attr-defined]
        return list(message.inventory.inventoryList)  # type: ignore[attr-defined]

    def unlabelled(self) -> list[str]:
        return sorted(set(self.by_order) - set(self.labels["orders"]))

    def labelled(self, pattern: str) -> list[str]:
        return sorted(o for o, tags in self.labels["orders"].items() if pattern in tags)

    @property
    def enterprises(self) -> dict[str, dict[str, Any]]:
        return {e["customsCode"]: e for e in self.registry["enterprises"]}
