"""Where a simulated day goes: ``registry.json``, ``labels.json`` and the messages, one file
each in ``messages/`` or in ``messages.zip``.

A message file is named ``{seq:07d}_{type}_{key}.xml``: sorting the names gives the arrival
order. Output is byte-identical for the same seed and options: JSON keys are written in a
fixed order and zip entries carry the simulated arrival time, not the wall clock.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

REGISTRY_FORMAT = "cbec-registry/1"
LABELS_FORMAT = "cbec-labels/1"
MESSAGES_DIR = "messages"
MESSAGES_ZIP = "messages.zip"
_UNSAFE = re.compile(r"[^0-9A-Za-z_-]")


def message_name(seq: int, message_type: str, key: str) -> str:
    """``0000042_CEB311_EQ2026111112345678.xml``; ``key`` is made filesystem-safe.

    >>> message_name(42, "CEB311", "A/B 1")
    '0000042_CEB311_A_B_1.xml'
    """
    return f"{seq:07d}_{message_type}_{_UNSAFE.sub('_', key)}.xml"


class Sink(Protocol):
    """Receives message files in arrival order."""

    def write(self, name: str, data: bytes, arrival: tuple[int, int, int, int, int, int]) -> None:
        """Store one message; ``arrival`` is its (Y, M, D, h, m, s) arrival time."""


def _write_files(directory: str, files: list[tuple[str, bytes]]) -> None:
    for name, data in files:
        fd = os.open(os.path.join(directory, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


class FolderSink:
    """One file per message in ``DIR/messages``.

    Creating a file costs ~0.1 ms of kernel time; threads do it in batches while the caller
    renders the next messages (the system calls release the GIL).
    """

    BATCH = 256
    THREADS = 4
    IN_FLIGHT = 16  # batches queued at most (bounds memory)

    def __init__(self, location: Path) -> None:
        """Write into ``location``, made by :meth:`prepare`."""
        self.location = location
        self._dir = os.fspath(self.location)
        self._pool = ThreadPoolExecutor(self.THREADS, thread_name_prefix="cbec-sim-writer")
        self._batch: list[tuple[str, bytes]] = []
        self._pending: deque[Future[None]] = deque()

    @staticmethod
    def prepare(out: Path) -> Path:
        """Create ``out/messages``; refuse one holding an earlier run's files."""
        location = out / MESSAGES_DIR
        if location.exists() and any(location.iterdir()):
            raise FileExistsError(f"{location} is not empty: choose an empty --out")
        location.mkdir(parents=True, exist_ok=True)
        return location

    def write(self, name: str, data: bytes, arrival: tuple[int, int, int, int, int, int]) -> None:
        self._batch.append((name, data))
        if len(self._batch) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            self._pending.append(self._pool.submit(_write_files, self._dir, self._batch))
            self._batch = []
        while len(self._pending) > self.IN_FLIGHT:
            self._pending.popleft().result()

    def __enter__(self) -> FolderSink:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if kind is None:
                self._flush()
                while self._pending:
                    self._pending.popleft().result()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=kind is not None)


class ZipSink:
    """All messages in ``DIR/messages.zip``, entries at the root in arrival order, written
    with :mod:`zipfile` (deflate level 1: a few percent bigger than level 6, much faster).
    Member times are the simulated arrival times, so the archive is the same bytes for
    the same day."""

    def __init__(self, out: Path) -> None:
        self.location = out / MESSAGES_ZIP
        if self.location.exists():
            raise FileExistsError(f"{self.location} exists: choose an empty --out")
        out.mkdir(parents=True, exist_ok=True)
        self._zip = zipfile.ZipFile(
            self.location, "x", compression=zipfile.ZIP_DEFLATED, compresslevel=1, allowZip64=True
        )

    def write(self, name: str, data: bytes, arrival: tuple[int, int, int, int, int, int]) -> None:
        info = zipfile.ZipInfo(name, date_time=arrival)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
        self._zip.writestr(info, data, compresslevel=1)

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> ZipSink:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._zip.close()
        if kind is not None:  # no half-written archive left behind
            self.location.unlink(missing_ok=True)


def write_json(path: Path, document: dict[str, Any]) -> None:
    """UTF-8 JSON with Chinese text as is, two-space indent, trailing newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
