"""``cbec risk train | evaluate | benchmark kcs``: the learned risk model from the command
line. :func:`register` adds them to the ``cbec risk`` Typer app.

Bad input (a column the mapping names but the file lacks, an unparseable date, a model
that does not exist) prints ``error: <where>: <what>`` and exits with status 1.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import lightgbm as lgb
import typer
from rich.console import Console
from rich.table import Table

from cbec.commandline import fail, writable_folder, writing
from cbec.config import get_settings
from cbec.errors import CbecError
from cbec.risk.learning import artefact, cbec, kcs
from cbec.risk.learning.mapping import ColumnMapping, load_mapping
from cbec.risk.learning.metrics import AtBudget, Report
from cbec.risk.learning.model import Explanation, TrainingOptions
from cbec.risk.learning.service import TrainingRun, evaluate_table, train_table
from cbec.risk.learning.split import Parts
from cbec.risk.learning.table import read_csv

console = Console()

ModelsDir = Annotated[
    Path | None,
    typer.Option("--models-dir", help="Folder of saved models (default CBEC_VAR_DIR/models)."),
]
Threads = Annotated[
    int, typer.Option(help="LightGBM threads (fixed: the same threads give the same model).")
]
Refit = Annotated[
    bool, typer.Option(help="Refit on train + valid with the rounds early stopping found.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")]


@contextmanager
def _errors() -> Iterator[None]:
    """Domain errors and LightGBM's own become one line on stderr and exit 1."""
    try:
        yield
    except CbecError as exc:
        raise fail(exc) from None
    except lgb.basic.LightGBMError as exc:
        typer.echo(f"error: LightGBM: {exc}", err=True)
        raise typer.Exit(1) from None


#: Mappings shipped with cbec, named instead of a file by ``--mapping``.
BUILT_IN: dict[str, Callable[[], ColumnMapping]] = {"kcs": kcs.mapping, "cbec": cbec.mapping}


def _mapping(option: Path) -> ColumnMapping:
    """The mapping file, or a built-in mapping by name (when no such file exists)."""
    if not option.exists() and str(option) in BUILT_IN:
        return BUILT_IN[str(option)]()
    return load_mapping(option)


def _models_dir(option: Path | None) -> Path:
    return option if option is not None else get_settings().var_dir / "models"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def report_table(title: str, figures: Report) -> Table:
    """Model, random selection and rules at each share inspected."""
    table = Table(title=title, title_justify="left")
    for column in ("inspected", "selection", "precision", "recall", "revenue"):
        table.add_column(column, justify="left" if column == "selection" else "right")
    selectors: list[tuple[str, tuple[AtBudget, ...]]] = [
        ("model", figures.model),
        ("random (expected)", figures.random),
    ]
    if figures.rules is not None:
        selectors.append(("rules alone", figures.rules))
    for i, share in enumerate(a.share for a in figures.model):
        for name, row in selectors:
            at = row[i]
            table.add_row(
                f"{share:.0%} ({at.inspected:,})" if name == "model" else "",
                name,
                _ratio(at.precision),
                _ratio(at.recall),
                _ratio(at.revenue),
                end_section=name == selectors[-1][0],
            )
    return table


def _period_title(name: str, parts: Parts, figures: Report) -> str:
    period = getattr(parts.split, name)
    return (
        f"{name} {period.start}..{period.end}: {figures.rows:,} rows,"
        f" {figures.positives:,} labelled 1"
    )


def _print_run(run: TrainingRun) -> None:
    split, fitted = run.parts.split, run.fitted
    console.print(
        f"train {split.train.start}..{split.train.end}: {run.parts.train.height:,} rows;"
        f" early stopping on valid at round {fitted.best_iteration}"
        + (
            f", then refit on train + valid for {fitted.rounds} rounds"
            if fitted.rounds != fitted.best_iteration
            else ""
        )
    )
    console.print(
        report_table(_period_title("valid", run.parts, run.valid) + " (tuned on)", run.valid)
    )
    if run.test is not None and run.parts.test is not None:
        console.print(report_table(_period_title("test", run.parts, run.test), run.test))


def _shown(value: Any) -> str:
    if value is None:
        return "missing"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    return str(value)


def _explanations(explained: list[tuple[Any, Explanation]]) -> None:
    for row_id, e in explained:
        parts = "; ".join(f"{c.feature} = {_shown(c.value)} ({c.contribution:+.2f})" for c in e.top)
        console.print(f"  {row_id}: score {e.score:.3f} (log-odds {e.raw_score:+.2f}) <- {parts}")


def train_command(
    data: Annotated[
        Path, typer.Option("--data", help="CSV file (UTF-8, header row) or .parquet file.")
    ],
    mapping_file: Annotated[Path, typer.Option("--mapping", help="Column mapping, JSON or TOML.")],
    name: Annotated[str, typer.Option("--name", help="Model name (a folder under models).")],
    models_dir: ModelsDir = None,
    threads: Threads = 1,
    refit: Refit = True,
) -> None:
    """Train a model on a CSV by its column mapping (time-based split), print its precision,
    recall and revenue at 1/2/5/10% inspected beside random selection (and rules), and save
    it as the next version of NAME."""
    with _errors():
        artefact.check_name(name, "--name")
        folder = _models_dir(models_dir)
        writable_folder(folder, "--models-dir")
        mapping = _mapping(mapping_file)
        frame = read_csv(data, mapping)
        run = train_table(
            frame, mapping, options=TrainingOptions(threads=threads, refit=refit), where=str(data)
        )
        with writing(folder, "--models-dir", "folder"):
            stored = artefact.save(run.model, {**run.metrics, "data": str(data)}, folder, name)
    _print_run(run)
    console.print(f"saved {stored.name} version {stored.version} in {stored.path}")


def evaluate_command(
    model_ref: Annotated[
        str, typer.Option("--model", help="NAME (latest version) or NAME/VERSION.")
    ],
    data: Annotated[
        Path, typer.Option("--data", help="CSV or .parquet file with the model's columns.")
    ],
    models_dir: ModelsDir = None,
    explain: Annotated[
        int, typer.Option(help="Show the top contributions of the N highest scores.")
    ] = 3,
    as_json: AsJson = False,
) -> None:
    """Score a labelled CSV with a saved model; print its figures at 1/2/5/10% inspected
    beside random selection (and rules, if the mapping names a rule score)."""
    with _errors():
        stored = artefact.load(_models_dir(models_dir), model_ref)
        frame = read_csv(data, stored.model.mapping)
        figures, table, scores = evaluate_table(stored.model, frame, where=str(data))
    if as_json:
        typer.echo(
            json.dumps({"model": stored.name, "version": stored.version, **figures.as_dict()})
        )
        return
    console.print(
        report_table(
            f"{stored.name} v{stored.version} on {data}: {figures.rows:,} rows,"
            f" {figures.positives:,} labelled 1",
            figures,
        )
    )
    if explain > 0:
        top = scores.argsort(kind="stable")[::-1][:explain]
        rows = table[top.tolist()]
        explained = stored.model.explain(rows)
        console.print(f"highest scores and what made them (top {explain}):")
        _explanations(list(zip(rows[stored.model.mapping.id].to_list(), explained, strict=True)))


def kcs_command(
    data: Annotated[
        Path, typer.Option("--data", help="Folder of the three KCS CSV files.")
    ] = kcs.DEFAULT_DIR,
    threads: Threads = 1,
    refit: Refit = True,
    save: Annotated[
        str | None, typer.Option("--save", help="Also save the model under this name.")
    ] = None,
    models_dir: ModelsDir = None,
    as_json: AsJson = False,
) -> None:
    """The KCS synthetic import declarations by the paper's protocol (train 2020, early stop
    on 2021Q1, report on 2021Q2): our precision at 5% and 10% inspected beside the paper's."""
    started = time.perf_counter()
    folder = _models_dir(models_dir)
    if save is not None:
        writable_folder(folder, "--models-dir")
    with _errors():
        if save is not None:  # before training, not after it
            artefact.check_name(save, "--save")
        run = kcs.run(data, dataclasses.replace(kcs.TUNED, threads=threads, refit=refit))
        stored = None
        if save is not None:
            with writing(folder, "--models-dir", "folder"):
                stored = artefact.save(run.model, {**run.metrics, "data": str(data)}, folder, save)
    seconds = time.perf_counter() - started
    assert run.test is not None
    ours = {a.share: a.precision for a in run.test.model}
    rand = {a.share: a.precision for a in run.test.random}
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "precision_5": ours[0.05],
                    "precision_10": ours[0.10],
                    "seconds": round(seconds, 1),
                    "test": run.test.as_dict(),
                    "valid": run.valid.as_dict(),
                }
            )
        )
        return
    _print_run(run)
    table = Table(
        title=f"KCS test 2021Q2, {run.test.rows:,} rows: precision at 5% / 10% inspected",
        title_justify="left",
    )
    for column in ("model", "@5%", "@10%"):
        table.add_column(column, justify="left" if column == "model" else "right")
    table.add_row(
        "cbec LightGBM (this run)", f"{ours[0.05]:.3f}", f"{ours[0.10]:.3f}", style="bold"
    )
    for p in kcs.PAPER:
        table.add_row(f"{p.model} (paper)", f"{p.precision_5:.3f}", f"{p.precision_10:.3f}")
    table.add_row("random selection (expected)", f"{rand[0.05]:.3f}", f"{rand[0.10]:.3f}")
    table.add_row(
        "target (issue 4)", f"{kcs.TARGET.precision_5:.2f}", f"{kcs.TARGET.precision_10:.2f}"
    )
    console.print(table)
    met = ours[0.05] >= kcs.TARGET.precision_5 and ours[0.10] >= kcs.TARGET.precision_10
    console.print(f"target {'met' if met else 'NOT met'}; {seconds:.0f} s")
    if stored is not None:
        console.print(f"saved {stored.name} version {stored.version} in {stored.path}")


def register(app: typer.Typer) -> None:
    """Add ``train``, ``evaluate`` and ``benchmark kcs`` to ``app`` (``cbec risk``)."""
    app.command("train")(train_command)
    app.command("evaluate")(evaluate_command)
    benchmark = typer.Typer(help="Public benchmarks of the learned model.", no_args_is_help=True)
    benchmark.command("kcs")(kcs_command)
    app.add_typer(benchmark, name="benchmark")
