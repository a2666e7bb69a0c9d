"""``cbec db ...``: create or upgrade the store."""

from __future__ import annotations

import typer
from rich.console import Console

from cbec.config import get_settings
from cbec.store.engine import make_engine
from cbec.store.migrate import upgrade

app = typer.Typer(help="The store: migrations.", no_args_is_help=True)
console = Console()


@app.command("upgrade")
def upgrade_command(revision: str = typer.Argument("heads", help="Target revision.")) -> None:
    """Apply the Alembic migrations to CBEC_DATABASE_URL (creates the SQLite file)."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine, revision)
    console.print(
        f"store at [bold]{engine.url.render_as_string(hide_password=True)}[/] is at {revision}"
    )
