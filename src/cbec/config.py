"""Settings, read once from ``CBEC_`` environment variables (code never reads os.environ)."""

from __future__ import annotations

import gc
from functools import lru_cache
from pathlib import Path
from typing import Literal

from limits import parse as parse_rate
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

#: The levels of the cbec logger (what :mod:`logging` knows, in capitals).
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class Settings(BaseSettings):
    """Every tunable of cbec. Each field maps to ``CBEC_<NAME>``.

    A value that cbec could not use (out of its bounds, a store URL no installed driver
    opens, an unknown log level, a rate not in ``limits`` notation) is refused as the
    settings are read, naming the variable (``cbec`` prints one line and exits 1), instead
    of a traceback when it is first used, or a server that starts and answers 500.
    """

    model_config = SettingsConfigDict(env_prefix="CBEC_", extra="ignore")

    #: SQLAlchemy URL. SQLite (embedded default) or ``postgresql+psycopg://...``; its
    #: dialect and driver must be installed.
    database_url: str = "sqlite:///var/cbec.db"
    #: Folder for the embedded store and generated files.
    var_dir: Path = Path("var")
    #: Largest message body accepted, in bytes; larger ones are refused before parsing.
    max_message_bytes: int = 4 * 1024 * 1024
    #: Largest number of messages in one batch request.
    max_batch_messages: int = 5000
    #: Message requests processed at once by one API process; the next gets 503 with
    #: Retry-After at once (0: no bound).
    max_inflight_messages: int = 32
    #: Messages written per transaction by ``cbec ingest``.
    ingest_batch_size: int = 500
    #: The customs house that runs this instance (4-digit customs code).
    customs_code: str = "5141"
    #: Name used as copName/sender of the receipts customs returns.
    customs_name: str = "cbec customs"
    #: Default share of lists sent to manual review / to inspection (an enterprise's own
    #: rates, set by its portrait class, replace these).
    review_rate: float = 0.02
    inspection_rate: float = 0.03
    #: Seed of the review/inspection sampling, so a day can be replayed.
    sampling_seed: int = 0
    #: Share of all inspections kept random (exploration), whatever the rules and the model
    #: select: the random inspection rate is raised as far as that needs (0 turns it off).
    exploration_share: float = Field(default=0.10, ge=0.0, lt=1.0)
    #: How long a list waits for its order, payment and waybill before it is rejected.
    await_documents_seconds: int = 24 * 3600
    #: Bonded goods on the shelf longer than this many days are listed (warehouse).
    #: (0 to 36500, as ``--days`` and ``?days=``: a date that far back must exist)
    warehouse_shelf_days: int = Field(default=180, ge=0, le=36500)
    #: Export summaries: the fields a declaration groups released B-flag lists by
    #: (comma-separated, of ebc_code, owner_code, trade_mode, traf_mode, country, port_code,
    #: gcode, currency); unverified in DOMAIN.md, hence a setting.
    export_summary_key: str = "ebc_code,traf_mode,owner_code,country,port_code,gcode,currency"
    #: Day of the next month by which a month's lists must be summarised (1 to 28: a day
    #: every month has).
    export_summary_deadline_day: int = Field(default=15, ge=1, le=28)
    #: Days after the end of a month by which the month's tax statement (the tax of the lists
    #: released under a guarantee) is due; DOMAIN.md is silent, hence a setting.
    tax_due_days: int = 15
    #: Spark master of the batch jobs run with ``--engine spark`` (``local[*]``: Spark in
    #: local mode on this machine; ``spark://host:7077``, ``yarn``, ... for a cluster).
    spark_master: str = "local[*]"
    #: Address the API binds to (a TCP port, 1 to 65535).
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    #: Logging level for the cbec logger (any case: ``info`` is ``INFO``).
    log_level: LogLevel = "INFO"
    #: Bearer token of the customs administrator for the registry's write routes. A
    #: stand-in until officer accounts with roles exist; unset (or empty) disables them.
    admin_token: str | None = None
    #: Key of the pseudonyms that stand for ID numbers, addresses and phones in the risk
    #: aggregates and the identity graph (a keyed hash). Set a secret of your own in
    #: production and keep it: changing it orphans the aggregates until they are rebuilt.
    pseudonym_key: str = "cbec-development-only"
    #: Key that encrypts personal data at rest (ID numbers, names, phones, addresses, the
    #: bodies of messages and dead letters; AES-256-GCM under a key derived from this
    #: secret). To rotate: make the old secret an old key, set a new one, ``cbec pii rotate``.
    pii_key: str = "cbec-development-only-pii"
    #: Earlier ``pii_key`` secrets, comma-separated: what they sealed stays readable until
    #: ``cbec pii rotate`` has sealed it again under ``pii_key``; then remove them.
    pii_old_keys: str = ""
    #: How long personal data of finished lists is kept, in days, before ``cbec pii purge``
    #: may erase it (decisions, tax and counts stay).
    pii_retention_days: int = 3 * 365
    #: How long an officer's login session lasts, in hours.
    officer_session_hours: int = 12
    #: Failed sign-ins in a row under one username (an officer's or not) after which
    #: sign-ins under it are refused (429) for ``officer_signin_lock_seconds``; a sign-in
    #: with the right password starts the count again.
    officer_signin_attempts: int = Field(default=5, ge=1, le=1000)
    #: How long sign-ins under a username are refused after too many failures (1 s to
    #: 30 days).
    officer_signin_lock_seconds: int = Field(default=900, ge=1, le=30 * 24 * 3600)
    #: Rate limits of the public quota query (``limits`` notation, at least 1 a period): per
    #: caller address, and per ID number asked about (against guessing one person's phone
    #: from many addresses).
    consumer_rate_per_client: str = "10/minute"
    consumer_rate_per_identity: str = "20/hour"
    #: Failed officer sign-ins from one caller address, whatever the usernames tried (the
    #: lock per username stops guessing one password; this stops trying one password
    #: across many usernames); counted in each API process's memory, as the consumer rates.
    officer_signin_rate_per_client: str = "30/hour"
    #: Queue intake (NATS JetStream, ``cbec worker`` / ``cbec queue send``): the server,
    #: the stream of inbound messages (subjects ``<prefix>.in.<copCode>``), the stream of
    #: receipts (``<prefix>.receipts.<copCode>``), and the durable consumer the workers share.
    queue_url: str = "nats://127.0.0.1:4222"
    queue_prefix: str = "cbec"
    queue_stream: str = "CBEC_IN"
    queue_receipts_stream: str = "CBEC_RECEIPTS"
    queue_consumer: str = "cbec-intake"
    #: Messages a worker fetches at once, and how long one may stay unacknowledged before
    #: the server hands it to another worker (it is then an idempotent re-delivery).
    queue_batch: int = 20
    queue_ack_wait_seconds: float = 30.0
    #: Attempts at storing a message whose transaction keeps failing (a deadlock, say)
    #: before it is dead-lettered with a receipt, so that it cannot loop forever.
    queue_max_attempts: int = 5
    #: Where trained risk models live (``cbec risk train --models-dir``).
    models_dir: Path = Path("var/models")
    #: The learned model that scores every list in real time: ``name`` (its latest
    #: version) or ``name/version`` under ``models_dir``; unset: rules decide alone.
    risk_model: str | None = None
    #: From which model score a list goes to manual review, and to X-ray inspection.
    risk_model_review: float = 0.8
    risk_model_inspect: float = 0.9

    @field_validator("database_url")
    @classmethod
    def _a_store_cbec_can_open(cls, url: str) -> str:
        try:
            make_url(url).get_dialect().import_dbapi()
        except (ArgumentError, ImportError) as exc:  # NoSuchModuleError is an ArgumentError
            raise ValueError(
                f"not a store URL cbec can open ({exc}): sqlite:///PATH or "
                "postgresql+psycopg://USER@HOST/DATABASE"
            ) from None
        return url

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_in_capitals(cls, level: object) -> object:
        return level.upper() if isinstance(level, str) else level

    @field_validator(
        "consumer_rate_per_client", "consumer_rate_per_identity", "officer_signin_rate_per_client"
    )
    @classmethod
    def _a_rate(cls, rate: str) -> str:
        try:
            amount = parse_rate(rate).amount
        except ValueError:
            amount = 0
        if amount < 1:
            raise ValueError(f"{rate!r} is not a rate like 10/minute or 20/hour (at least 1)")
        return rate


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings``)."""
    return Settings()


#: The cyclic garbage collector's thresholds. A batch of messages allocates hundreds of
#: thousands of short-lived objects, nearly all freed at once by reference counting; with
#: Python's default (a collection every 700 allocations, a full one every 100 of those,
#: each walking the run's cached messages and ORM objects) the writer of `cbec bench
#: clearance` spent about a sixth of its time in the collector, and parsing a tenth.
GC_THRESHOLDS = (50_000, 10, 10)


def tune_gc() -> None:
    """Set :data:`GC_THRESHOLDS` for this process (every way in, and parsing workers)."""
    gc.set_threshold(*GC_THRESHOLDS)
