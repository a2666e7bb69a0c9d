"""The FastAPI application, assembled from each package's ``routes.py``."""

from __future__ import annotations

import logging
from typing import Any, Union

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel, TypeAdapter, create_model
from sqlalchemy import Engine

from cbec import __version__, assembly
from cbec.audit.routes import router as audit_router
from cbec.backpressure import Backpressure
from cbec.clearance.routes import router as clearance_router
from cbec.clearance.statement_routes import router as tax_router
from cbec.config import Settings, get_settings
from cbec.consumer.routes import router as consumer_router
from cbec.errors import CbecError, TooManyRequests
from cbec.export.routes import router as export_router
from cbec.intake.routes import router as intake_router
from cbec.messages.models import DECLARATION_TYPES
from cbec.network.routes import router as network_router
from cbec.officers.routes import router as officers_router
from cbec.portrait.routes import catalogue_router
from cbec.portrait.routes import router as portrait_router
from cbec.privacy import configure_logging
from cbec.registry.routes import router as registry_router
from cbec.request_guard import RejectControlCharacters, refuse_unknown_query
from cbec.risk.routes import router as risk_router
from cbec.store import make_engine, make_session_factory, upgrade
from cbec.warehouse.routes import router as warehouse_router
from cbec.web.routes import mount as mount_web

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
    # Keys first: the migrations encrypt personal data and fill blind indexes with them.
    assembly.configure(settings)
    if migrate:
        upgrade(engine)
    app = FastAPI(
        title="cbec",
        version=__version__,
        description=DESCRIPTION,
        # A query parameter an /api/v1 route does not declare: 422 naming it, never ignored.
        dependencies=[Depends(refuse_unknown_query)],
    )
    # Past this many message requests at once: 503 + Retry-After, never a silent queue.
    app.add_middleware(Backpressure, limit=settings.max_inflight_messages)
    # A control character in a path or query: 400 naming where, before any route.
    app.add_middleware(RejectControlCharacters)
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)

    @app.exception_handler(CbecError)
    async def _cbec_error(_request: Request, exc: CbecError) -> JSONResponse:
        headers = (
            {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
        )
        return JSONResponse(exc.as_dict(), status_code=exc.status_code, headers=headers)

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
    app.include_router(officers_router)
    app.include_router(audit_router)
    app.include_router(clearance_router)
    app.include_router(tax_router)
    app.include_router(consumer_router)
    app.include_router(risk_router)
    app.include_router(network_router)
    app.include_router(portrait_router)
    app.include_router(catalogue_router)
    app.include_router(warehouse_router)
    app.include_router(export_router)
    # The browser pages (monitoring screen, workbench, consumer page) and their assets.
    mount_web(app)
    # What intake hands accepted documents to (clearance, asking risk control for a
    # verdict on every list), for this app only; a seizure opens a case.
    # The same assembly as the queue workers (cbec.assembly): clearance with risk control
    # and the identity graph, consumer notices, warehouse and exports.
    assembly.configure(settings)
    app.state.intake_listeners = assembly.intake_listeners(settings)
    assembly.install_hooks()

    def openapi() -> dict[str, Any]:
        # The message models are read by hand (so that a bad message still gets a receipt
        # and a dead letter), so FastAPI cannot see them: publish their JSON schema here.
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schema.setdefault("components", {}).setdefault("schemas", {}).update(message_schemas())
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def worker_app() -> FastAPI:
    """The app of one of several uvicorn worker processes (``cbec serve --workers N``,
    which runs the migrations once before it starts them, so workers never race to)."""
    return create_app(migrate=False)


def message_schemas() -> dict[str, Any]:
    """JSON schemas of every declaration message in its JSON form, plus ``CebJsonMessage``
    (any one of them), with references into ``#/components/schemas``."""
    wrappers: list[type[BaseModel]] = [
        create_model(f"{t}Json", **{f"{t}Message": (model, ...)})  # type: ignore[call-overload]
        for t, model in DECLARATION_TYPES.items()
    ]
    union = Union[tuple(wrappers)]  # type: ignore[valid-type]  # noqa: UP007
    adapter: TypeAdapter[Any] = TypeAdapter(union)  # type: ignore[arg-type]
    schema = adapter.json_schema(ref_template="#/components/schemas/{model}")
    definitions: dict[str, Any] = schema.pop("$defs", {})
    definitions["CebJsonMessage"] = schema
    return definitions
