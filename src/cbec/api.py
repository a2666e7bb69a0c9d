"""The FastAPI application, assembled from each package's ``routes.py``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine

from cbec import __version__
from cbec.config import Settings, get_settings
from cbec.errors import CbecError
from cbec.intake.routes import router as intake_router
from cbec.privacy import configure_logging
from cbec.registry.routes import router as registry_router
from cbec.store import make_engine, make_session_factory, upgrade

log = logging.getLogger("cbec.api")

DESCRIPTION = """
Customs supervision of cross-border e-commerce retail trade.

Enterprises authenticate with their API key (`Authorization: Bearer cbec_<id>_<secret>`),
send CEB messages (XML or JSON) to `/api/v1/messages`, and fetch the receipts customs
returns from `/api/v1/receipts`.
"""


def create_app(
    settings: Settings | None = None, *, engine: Engine | None = None, migrate: bool = True
) -> FastAPI:
    """Build the app against ``settings`` (or the environment's) and an optional engine."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    engine = engine or make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    app = FastAPI(title="cbec", version=__version__, description=DESCRIPTION)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)

    @app.exception_handler(CbecError)
    async def _cbec_error(_request: Request, exc: CbecError) -> JSONResponse:
        return JSONResponse(exc.as_dict(), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _request_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {
                "path": "/".join(str(p) for p in e["loc"]),
                "rule": e["type"],
                "message": e["msg"],
            }
            for e in exc.errors()
        ]
        return JSONResponse(
            {"error": "bad_request", "detail": "invalid request", "fields": fields},
            status_code=422,
        )

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok", "version": __version__}

    app.include_router(registry_router)
    app.include_router(intake_router)
    return app
