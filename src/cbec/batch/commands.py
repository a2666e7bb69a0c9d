"""``cbec export-data`` and the ``--engine`` option of the batch commands."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cbec.batch import export as exporting
from cbec.batch.engine import EMBEDDED, ENGINES, Engine, open_engine
from cbec.commandline import fail, unit_of_work, writable_folder, writing
from cbec.config import get_settings
from cbec.errors import CbecError

console = Console()

#: ``--engine embedded|spark`` of the commands that run a batch job.
EngineOption = Annotated[
    str,
    typer.Option(
        "--engine",
        help=f"Where the batch job runs: {' or '.join(ENGINES)} (Apache Spark; "
        "master CBEC_SPARK_MASTER, local[*] by default).",
    ),
]
#: ``--data DIR``: read the job's tables from a ``cbec export-data`` folder.
DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data", help="Read the tables from this cbec export-data folder instead of the store."
    ),
]


def engine_for(name: str = EMBEDDED) -> Engine:
    """The engine a command asked for (bad names: one-line error, exit 1)."""
    try:
        return open_engine(name, spark_master=get_settings().spark_master)
    except CbecError as exc:
        raise fail(exc) from None


def export_data(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the Parquet files to.")],
    table: Annotated[
        list[str] | None,
        typer.Option(
            "--table", help=f"Only these tables ({', '.join(exporting.TABLES)}); all by default."
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Write the store's tables that the batch jobs read to Parquet (one file per table and
    a manifest), for `--data DIR` of the batch commands, or for Spark on a cluster."""
    writable_folder(out, "--out")
    started = time.perf_counter()
    with unit_of_work() as session, writing(out, "--out", "folder"):
        counts = exporting.export(session, out, table)
    if as_json:
        print(json.dumps({"out": str(out), "tables": counts}))
        return
    for name, rows in counts.items():
        console.print(f"{name}: {rows:,} rows -> {out / (name + '.parquet')}")
    console.print(f"exported in {time.perf_counter() - started:.1f} s")
