"""Writing a simulated day: ``registry.json``, ``labels.json`` and the messages, in a folder
or a zip, rendered by two forked processes when the day is large.

Rendering is deterministic given the day, so which process renders a message does not
change a byte; the zip is assembled in arrival order by the parent.
"""

from __future__ import annotations

import multiprocessing
import os
import warnings
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from cbec.messages import signature
from cbec.messages.codec import to_xml
from cbec.sim.fastxml import message_bytes, model_of
from cbec.sim.filings import catalogues_document, tax_document
from cbec.sim.simulation import (
    Day,
    Event,
    Options,
    generate,
    labels_document,
    registry_document,
    render_event,
)
from cbec.sim.writer import FolderSink, ZipSink, message_name, write_json

#: A rendered message: file name, bytes, arrival (Y, M, D, h, m, s).
Rendered = tuple[str, bytes, tuple[int, int, int, int, int, int]]
#: Signing keys by enterprise code (``cbec sim --sign``).
Keys = dict[str, signature.SigningKey]
#: From this many messages on, two processes render the messages.
PARALLEL_FROM = 40_000


@dataclass(slots=True)
class Summary:
    """What was generated, for the command's report."""

    messages: Counter[str] = field(default_factory=Counter)
    trade_modes: Counter[str] = field(default_factory=Counter)
    patterns: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)  # redelivered, modified, ...
    orders: int = 0
    files: Path | None = None
    registry: Path | None = None
    labels: Path | None = None
    catalogues: Path | None = None
    tax: Path | None = None
    signing_keys: Path | None = None
    enterprises: int = 0


def message_type_of(event: Event) -> str:
    """The CEB type of an event's message (the first version of a modified order is a 311)."""
    return "CEB311" if event.kind == "CEB311M" else event.kind


def _messages(
    day: Day, share: int, shares: int, exact: bool, keys: Keys | None = None
) -> Iterator[Rendered]:
    """Every ``shares``-th message from the ``share``-th: (file name, bytes, arrival),
    signed by its sender's key when ``keys`` are given."""
    year, month, dd = day.options.day.year, day.options.day.month, day.options.day.day
    events = day.events
    orders = day.orders
    for index in range(share, len(events), shares):
        event = events[index]
        message_type, content = render_event(day, event)
        if exact:
            data = to_xml(model_of(message_type, content), pretty=event.pretty)
        else:
            data = message_bytes(message_type, content, pretty=event.pretty)
        if keys is not None:
            data = signature.sign(data, keys[content["baseTransfer"]["copCode"]])
        name = message_name(index + 1, message_type, orders[event.order].order_no)
        hours, rest = divmod(event.arrival, 3600)
        yield name, data, (year, month, dd, hours, rest // 60, rest % 60)


def _write_folder_share(
    day: Day, location: Path, share: int, shares: int, exact: bool, keys: Keys | None = None
) -> None:
    with FolderSink(location) as sink:
        for name, data, arrival in _messages(day, share, shares, exact, keys):
            sink.write(name, data, arrival)


def _render_share(
    day: Day, share: int, shares: int, exact: bool, channel: Connection, keys: Keys | None = None
) -> None:
    """Render every ``shares``-th message and send them, in batches, in order."""
    batch: list[Rendered] = []
    for item in _messages(day, share, shares, exact, keys):
        batch.append(item)
        if len(batch) == 500:
            channel.send(batch)
            batch = []
    channel.send(batch)
    channel.send(None)
    channel.close()


def _fork(target: Callable[..., None], arguments: list[tuple[Any, ...]]) -> list[BaseProcess]:
    context = multiprocessing.get_context("fork")
    processes: list[BaseProcess] = [
        context.Process(target=target, args=args, name=f"cbec-sim-writer-{i}")
        for i, args in enumerate(arguments)
    ]
    with warnings.catch_warnings():
        # Python 3.12+ warns on fork() while threads run (pytest's, say); the writers only
        # render, compress and write, then exit.
        warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
        for process in processes:
            process.start()
    return processes


def _join(processes: list[BaseProcess], *, stop: bool = False) -> None:
    """Wait for the writers (ending them first if ``stop``); a failed one is an error."""
    for process in processes:
        if stop:
            process.terminate()
        process.join()
    failed = [p.name for p in processes if p.exitcode != 0]
    if failed and not stop:
        raise RuntimeError(f"writing messages failed in {', '.join(failed)}")


def _write_folder(
    day: Day, location: Path, workers: int, exact: bool, keys: Keys | None = None
) -> None:
    """Write the files with ``workers`` forked processes, each every ``workers``-th one.

    Rendering is deterministic given the day, so who writes a file does not matter.
    """
    if workers == 1:
        _write_folder_share(day, location, 0, 1, exact, keys)
        return
    _join(
        _fork(
            _write_folder_share,
            [(day, location, k, workers, exact, keys) for k in range(workers)],
        )
    )


def _write_zip(
    day: Day, sink: ZipSink, workers: int, exact: bool, keys: Keys | None = None
) -> None:
    """Fill the zip; forked workers render, this process compresses and appends in order."""
    if workers == 1:
        for name, data, arrival in _messages(day, 0, 1, exact, keys):
            sink.write(name, data, arrival)
        return
    pipes = [multiprocessing.Pipe(duplex=False) for _ in range(workers)]
    processes = _fork(
        _render_share, [(day, k, workers, exact, pipes[k][1], keys) for k in range(workers)]
    )
    for _, sending in pipes:
        sending.close()
    pending: list[deque[Rendered]] = [deque() for _ in range(workers)]
    try:
        for index in range(len(day.events)):
            share = index % workers
            if not pending[share]:
                batch = pipes[share][0].recv()
                if batch is None:
                    raise RuntimeError(f"writer {share} ended early")
                pending[share].extend(batch)
            sink.write(*pending[share].popleft())
    except EOFError:
        _join(processes, stop=True)
        raise RuntimeError("a writer process died") from None
    except BaseException:
        _join(processes, stop=True)  # they may be blocked sending to us
        raise
    _join(processes)


def _workers(day: Day) -> int:
    if len(day.events) < PARALLEL_FROM or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return min(2, os.cpu_count() or 1)


def write(
    day: Day,
    out: Path,
    *,
    as_zip: bool,
    exact: bool = False,
    workers: int | None = None,
    sign: bool = False,
) -> Summary:
    """Write the registry, the labels, the messages, the product catalogues and the tax
    payment story (``catalogues.json``, ``tax.json``) of ``day`` under ``out``.

    Large days are rendered by two forked processes (``workers`` overrides). ``exact``
    serialises every message through the models and ``to_xml`` (slow; the same bytes,
    which the tests check). ``sign``: every enterprise gets a generated key (mostly
    SM2-SM3, some RSA and ECDSA), filed in ``registry.json`` with the policy ``enforce``,
    its private half in ``signing-keys.json``, and every message is signed by its sender
    (signatures are randomised: a signed day is not byte-for-byte reproducible).
    """
    keys = signing_keys(day) if sign else None
    summary = Summary(orders=len(day.orders), enterprises=len(day.market.enterprises))
    summary.trade_modes.update(o.trade_mode for o in day.orders)
    for order in day.orders:
        summary.patterns.update(order.patterns)
    summary.messages.update(message_type_of(e) for e in day.events)
    summary.events.update(
        modified=sum(o.first_address is not None for o in day.orders),
        redelivered=sum(e.redelivery for e in day.events),
    )
    workers = workers or _workers(day)
    if as_zip:
        with ZipSink(out) as zipped:
            _write_zip(day, zipped, workers, exact, keys)
        summary.files = zipped.location
    else:
        summary.files = FolderSink.prepare(out)
        _write_folder(day, summary.files, workers, exact, keys)
    summary.registry = out / "registry.json"
    registry = registry_document(day.market)
    if keys is not None:
        for entry in registry["enterprises"]:
            key = keys[entry["customsCode"]]
            entry["signaturePolicy"] = "enforce"
            entry["signatureKeys"] = [
                {"keyName": key.key_name, "algorithm": key.algorithm, "publicKey": key.public_pem()}
            ]
        summary.signing_keys = out / "signing-keys.json"
        write_json(
            summary.signing_keys,
            {
                "format": "cbec-signing-keys/1",
                "note": "synthetic test keys generated by cbec sim --sign; never use them",
                "keys": {
                    code: {
                        "keyName": k.key_name,
                        "algorithm": k.algorithm,
                        "privateKey": k.private_pem(),
                    }
                    for code, k in sorted(keys.items())
                },
            },
        )
    write_json(summary.registry, registry)
    summary.labels = out / "labels.json"
    write_json(summary.labels, labels_document(day))
    summary.catalogues = out / "catalogues.json"
    write_json(summary.catalogues, catalogues_document(day))
    summary.tax = out / "tax.json"
    write_json(summary.tax, tax_document(day))
    return summary


def signing_keys(day: Day) -> Keys:
    """A signing key per enterprise of the day: one in ten RSA, one in ten ECDSA, the rest
    SM2-SM3 (the e-port's algorithm)."""
    keys: Keys = {}
    for index, enterprise in enumerate(day.market.enterprises):
        algorithm = ("rsa-sha256", "ecdsa-sha256")[index % 10] if index % 10 < 2 else "sm2-sm3"
        name = f"{enterprise.code}-{algorithm.split('-')[0]}"
        keys[enterprise.code] = signature.SigningKey.generate(algorithm, name)
    return keys


def run(options: Options, out: Path, *, as_zip: bool = False) -> Summary:
    """Generate and write one day."""
    return write(generate(options), out, as_zip=as_zip)
