"""The names a deployment (or one test) uses on the NATS server: subjects, streams and the
workers' durable consumer, all derived from the settings so that two deployments (or two
test runs) on one server never share a stream or a subject."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cbec.config import Settings

_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True, slots=True)
class Names:
    """Subjects ``<prefix>.in.<copCode>`` and ``<prefix>.receipts.<copCode>``; the inbound
    and receipts streams; the durable consumer the worker group shares."""

    prefix: str = "cbec"
    stream: str = "CBEC_IN"
    receipts_stream: str = "CBEC_RECEIPTS"
    consumer: str = "cbec-intake"

    def __post_init__(self) -> None:
        for part in self.prefix.split("."):
            if not _TOKEN.match(part):
                raise ValueError(f"queue prefix {self.prefix!r}: dot-separated [A-Za-z0-9_-]")
        for name in (self.stream, self.receipts_stream, self.consumer):
            if not _TOKEN.match(name):
                raise ValueError(f"stream or consumer name {name!r}: only [A-Za-z0-9_-]")

    @classmethod
    def of(cls, settings: Settings) -> Names:
        return cls(
            settings.queue_prefix,
            settings.queue_stream,
            settings.queue_receipts_stream,
            settings.queue_consumer,
        )

    @property
    def inbound_all(self) -> str:
        return f"{self.prefix}.in.*"

    @property
    def receipts_all(self) -> str:
        return f"{self.prefix}.receipts.*"

    def inbound(self, cop_code: str) -> str:
        """Where ``cop_code`` publishes its messages."""
        return f"{self.prefix}.in.{subject_token(cop_code)}"

    def receipts(self, cop_code: str) -> str:
        """Where the receipts owed to ``cop_code`` are published."""
        return f"{self.prefix}.receipts.{subject_token(cop_code)}"

    def code_of(self, subject: str) -> str:
        """The copCode an inbound subject names ('' if it is not one of ours)."""
        head = f"{self.prefix}.in."
        return subject[len(head) :] if subject.startswith(head) else ""


def subject_token(cop_code: str) -> str:
    """``cop_code`` as one subject token (ValueError for anything that could be a wildcard
    or a separator)."""
    if not _TOKEN.match(cop_code):
        raise ValueError(f"{cop_code!r} cannot be a subject token")
    return cop_code
