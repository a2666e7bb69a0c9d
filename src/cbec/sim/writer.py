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
import struct
import zlib
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


#: A compressed zip member: (name, CRC-32, size, raw deflate data, DOS time, DOS date).
Member = tuple[str, int, int, bytes, int, int]

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_ZIP64_END = struct.Struct("<IQHHIIQQQQ")
_ZIP64_LOCATOR = struct.Struct("<IIQI")
_END = struct.Struct("<IHHHHIIH")
_MADE_BY_UNIX = 3 << 8
_FILE_MODE = 0o100644 << 16  # a regular file, rw-r--r--


def deflate(name: str, data: bytes, arrival: tuple[int, int, int, int, int, int]) -> Member:
    """Compress one message for the zip (raw deflate, level 1: 4% bigger than 6, much faster).

    Pure, so forked writers can do it in parallel and hand the members to one
    :class:`ZipSink`.
    """
    compressor = zlib.compressobj(1, zlib.DEFLATED, -15)
    packed = compressor.compress(data) + compressor.flush()
    year, month, day, hours, minutes, seconds = arrival
    dos_time = hours << 11 | minutes << 5 | seconds // 2
    dos_date = (year - 1980) << 9 | month << 5 | day
    return (name, zlib.crc32(data), len(data), packed, dos_time, dos_date)


class ZipSink:
    """All messages in ``DIR/messages.zip``, entries at the root in arrival order.

    A minimal zip writer (local headers, central directory, ZIP64 end records past 65,535
    entries, as :mod:`zipfile` writes them), so that members can be compressed elsewhere:
    ``zipfile`` cannot take data already compressed. Member times are the simulated
    arrival times, so the archive is the same bytes for the same day.
    """

    def __init__(self, out: Path) -> None:
        self.location = out / MESSAGES_ZIP
        if self.location.exists():
            raise FileExistsError(f"{self.location} exists: choose an empty --out")
        out.mkdir(parents=True, exist_ok=True)
        self._file = self.location.open("xb", buffering=1 << 20)
        self._offset = 0
        self._central: list[bytes] = []

    def write(self, name: str, data: bytes, arrival: tuple[int, int, int, int, int, int]) -> None:
        self.add(deflate(name, data, arrival))

    def add(self, member: Member) -> None:
        """Append one compressed member."""
        name, crc, size, packed, dos_time, dos_date = member
        encoded = name.encode("ascii")
        header = _LOCAL.pack(
            0x04034B50, 20, 0, 8, dos_time, dos_date, crc, len(packed), size, len(encoded), 0
        )
        self._file.write(header)
        self._file.write(encoded)
        self._file.write(packed)
        extra = b""
        version = 20
        offset = self._offset
        if offset >= 0xFFFFFFFF:  # ZIP64: the offset moves to an extra field
            extra = struct.pack("<HHQ", 1, 8, offset)
            version, offset = 45, 0xFFFFFFFF
        self._central.append(
            _CENTRAL.pack(
                0x02014B50, _MADE_BY_UNIX | version, version, 0, 8, dos_time, dos_date, crc,
                len(packed), size, len(encoded), len(extra), 0, 0, 0, _FILE_MODE, offset,
            )
            + encoded
            + extra
        )  # fmt: skip
        self._offset += len(header) + len(encoded) + len(packed)

    def close(self) -> None:
        """Write the central directory and the end records."""
        start = self._offset
        directory = b"".join(self._central)
        self._file.write(directory)
        count, size = len(self._central), len(directory)
        if count >= 0xFFFF or start >= 0xFFFFFFFF or size >= 0xFFFFFFFF:
            end64 = start + size
            self._file.write(
                _ZIP64_END.pack(0x06064B50, 44, 45, 45, 0, 0, count, count, size, start)
            )
            self._file.write(_ZIP64_LOCATOR.pack(0x07064B50, 0, end64, 1))
        self._file.write(
            _END.pack(
                0x06054B50, 0, 0, min(count, 0xFFFF), min(count, 0xFFFF),
                min(size, 0xFFFFFFFF), min(start, 0xFFFFFFFF), 0,
            )
        )  # fmt: skip
        self._file.close()

    def __enter__(self) -> ZipSink:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:  # no half-written archive left behind
            self._file.close()
            self.location.unlink(missing_ok=True)


def write_json(path: Path, document: dict[str, Any]) -> None:
    """UTF-8 JSON with Chinese text as is, two-space indent, trailing newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
