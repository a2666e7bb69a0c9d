"""The ``cbec`` command, assembled from each package's ``commands.py``."""

from __future__ import annotations

import typer
from pydantic import ValidationError

from cbec import assembly
from cbec.audit.commands import app as audit_app
from cbec.batch.commands import export_data
from cbec.bench.commands import app as bench_app
from cbec.catalog.commands import app as catalog_app
from cbec.clearance.commands import app as clearance_app
from cbec.clearance.statement_commands import app as tax_app
from cbec.commandline import fail
from cbec.config import Settings, get_settings
from cbec.errors import BadRequest, CbecError, FieldError
from cbec.export.commands import app as export_app
from cbec.intake.commands import ingest, receipts_app
from cbec.messages.commands import app as messages_app
from cbec.network.commands import app as network_app
from cbec.officers.commands import app as officers_app
from cbec.pii.commands import app as pii_app
from cbec.portrait.commands import app as portrait_app
from cbec.queue.commands import queue_app, worker
from cbec.registry.commands import app as registry_app
from cbec.risk.commands import app as risk_app
from cbec.sim.commands import sim, sim_exports
from cbec.store.commands import app as db_app
from cbec.warehouse.commands import app as warehouse_app

app = typer.Typer(
    name="cbec",
    help="Customs supervision of cross-border e-commerce retail trade.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")
app.add_typer(registry_app, name="registry")
app.add_typer(messages_app, name="messages")
app.add_typer(receipts_app, name="receipts")
app.add_typer(bench_app, name="bench")
app.add_typer(catalog_app, name="catalog")
app.add_typer(officers_app, name="officers")
app.add_typer(audit_app, name="audit")
app.add_typer(pii_app, name="pii")
app.add_typer(clearance_app, name="clearance")
app.add_typer(tax_app, name="tax")
app.add_typer(risk_app, name="risk")
app.add_typer(network_app, name="network")
app.add_typer(portrait_app, name="portrait")
app.add_typer(warehouse_app, name="warehouse")
app.add_typer(export_app, name="export")
app.command("ingest")(ingest)
app.add_typer(queue_app, name="queue")
app.command("worker")(worker)


@app.callback()
def _assemble() -> None:
    """Customs supervision of cross-border e-commerce retail trade."""
    # Messages ingested from the command line are cleared as they arrive, as over HTTP,
    # with risk control's verdict; a seizure opens a case.
    assembly.connect(get_settings())


app.command("sim")(sim)
app.command("export-data")(export_data)
app.command("sim-exports")(sim_exports)


@app.command("serve")
def serve(
    host: str | None = typer.Option(None, help="Address to bind (default CBEC_API_HOST)."),
    port: int | None = typer.Option(None, min=1, max=65535, help="Port (default CBEC_API_PORT)."),
    workers: int = typer.Option(
        1, min=1, help="API worker processes (stateless; use PostgreSQL for more than one)."
    ),
) -> None:
    """Serve the API (OpenAPI docs at /docs).

    The settings are read and checked before uvicorn starts (see ``_assemble``): one that
    cbec could not use is one line and exit code 1, not a traceback from each worker."""
    import uvicorn

    from cbec.api import create_app
    from cbec.config import get_settings

    settings = get_settings()
    if workers > 1:
        from cbec.store import make_engine, upgrade

        engine = make_engine(settings.database_url)
        upgrade(engine)  # once, here: the workers start on a migrated store
        engine.dispose()
        uvicorn.run(
            "cbec.api:worker_app",
            factory=True,
            workers=workers,
            host=host or settings.api_host,
            port=port or settings.api_port,
            log_level="warning",
            timeout_graceful_shutdown=2,
        )
        return
    uvicorn.run(
        create_app(settings),
        host=host or settings.api_host,
        port=port or settings.api_port,
        log_level="warning",
        # open event streams (the monitoring screen) must not hold Ctrl-C up
        timeout_graceful_shutdown=2,
    )


def main() -> None:
    """The ``cbec`` command. An error a command did not report itself (the store refusing
    this process's keys as it opens, say) is one line per problem and exit code 1, as
    every command's own errors are, never a traceback."""
    try:
        app()
    except CbecError as exc:
        fail(exc)  # prints each problem on stderr
        raise SystemExit(1) from None
    except ValidationError as exc:
        if exc.title != Settings.__name__:
            raise
        # a setting out of its bounds, read as a command starts: name its variable
        fail(
            BadRequest(
                "invalid settings",
                fields=[
                    FieldError(
                        "CBEC_" + "_".join(str(x) for x in e["loc"]).upper(), e["type"], e["msg"]
                    )
                    for e in exc.errors()
                ],
            )
        )
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
