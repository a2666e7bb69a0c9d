"""The engines a batch job runs on, and where its tables come from.

A job is written once as ibis expressions over named tables (:class:`Source`); an
:class:`Engine` gives it those tables and runs it:

- ``embedded`` (the default): DuckDB in this process, through ibis. Tables from the store
  are handed over in memory (Arrow); Parquet exports are read in place.
- ``spark``: Apache Spark through PySpark (ibis's pyspark back end), on the master given by
  ``CBEC_SPARK_MASTER`` (``local[*]`` by default: Spark in local mode on this machine; a
  ``spark://`` or ``yarn`` master runs the same job on a cluster). Tables from the store
  are written to Parquet in a scratch folder first, as a cluster reads them.

Iterative jobs (connected components) write each round out with :meth:`Engine.materialize`:
a DuckDB temporary table, or on Spark a Parquet checkpoint that cuts the lineage (as
GraphFrames checkpoints its rounds), so the plan does not grow with the rounds.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from cbec.errors import BadRequest, FieldError

EMBEDDED = "embedded"
SPARK = "spark"
ENGINES = (EMBEDDED, SPARK)

#: Spark settings of a batch session (small shuffles: the jobs are joins and group-bys of
#: modest width; timestamps in UTC, as the store keeps them).
SPARK_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.adaptive.enabled": "true",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
}
#: For short local runs (tests): the JIT's first tier only, which warms up much sooner.
QUICK_START_CONF = {"spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1"}


def _ibis() -> Any:
    import ibis

    return ibis


class Engine(ABC):
    """Runs ibis expressions; :meth:`close` releases what it started."""

    name: str

    def __init__(self) -> None:
        self._names = itertools.count(1)

    @property
    @abstractmethod
    def connection(self) -> Any:
        """The ibis back end."""

    @abstractmethod
    def load(self, name: str, frame: pl.DataFrame) -> Any:
        """A table of the engine holding ``frame``."""

    @abstractmethod
    def read_parquet(self, name: str, path: Path) -> Any:
        """A table of the engine reading the Parquet file (or folder) ``path``."""

    @abstractmethod
    def materialize(self, expr: Any, hint: str) -> Any:
        """``expr`` computed once and kept, as a new table (for iterations)."""

    def collect(self, expr: Any) -> pl.DataFrame:
        """The rows of ``expr`` on the driver."""
        result = pl.from_arrow(expr.to_pyarrow())
        assert isinstance(result, pl.DataFrame)
        return result

    def scalar(self, expr: Any) -> Any:
        return expr.to_pyarrow().as_py()

    def fresh(self, hint: str) -> str:
        return f"cbec_{hint}_{next(self._names)}"

    def close(self) -> None:  # noqa: B027 (nothing to release by default)
        pass

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Embedded(Engine):
    """DuckDB in this process (in memory)."""

    name = EMBEDDED

    def __init__(self, threads: int | None = None) -> None:
        super().__init__()
        self._con = _ibis().duckdb.connect(**({"threads": threads} if threads else {}))

    @property
    def connection(self) -> Any:
        return self._con

    def load(self, name: str, frame: pl.DataFrame) -> Any:
        return self._con.create_table(self.fresh(name), frame.to_arrow(), temp=True)

    def read_parquet(self, name: str, path: Path) -> Any:
        return self._con.read_parquet(str(path), table_name=self.fresh(name))

    def materialize(self, expr: Any, hint: str) -> Any:
        return self._con.create_table(self.fresh(hint), expr, temp=True)

    def close(self) -> None:
        self._con.disconnect()


class Spark(Engine):
    """Apache Spark through PySpark: the session is started on first use (or given), and
    stopped by :meth:`close` only if this engine started it."""

    name = SPARK

    def __init__(
        self,
        master: str = "local[*]",
        session: Any = None,
        conf: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.master = master
        self.conf = dict(conf or {})
        self._session = session
        self._owned = session is None
        self._con: Any = None
        self._scratch = Path(tempfile.mkdtemp(prefix="cbec-spark-"))

    @property
    def session(self) -> Any:
        if self._session is None:
            self._session = start_spark(self.master, self.conf)
        return self._session

    @property
    def connection(self) -> Any:
        if self._con is None:
            self._con = _ibis().pyspark.connect(self.session)
        return self._con

    def load(self, name: str, frame: pl.DataFrame) -> Any:
        path = self._scratch / f"{self.fresh(name)}.parquet"
        frame.write_parquet(path)
        return self.read_parquet(name, path)

    def read_parquet(self, name: str, path: Path) -> Any:
        return self.connection.read_parquet(str(path), table_name=self.fresh(name))

    def materialize(self, expr: Any, hint: str) -> Any:
        # computed once and kept on the executors, with its lineage cut (as GraphFrames
        # checkpoints its rounds), under a temporary view
        name = self.fresh(hint)
        frame = self.session.sql(self.connection.compile(expr)).localCheckpoint(eager=True)
        frame.createOrReplaceTempView(name)
        return self.connection.table(name)

    def close(self) -> None:
        if self._owned and self._session is not None:
            self._session.stop()
            self._session = None
        shutil.rmtree(self._scratch, ignore_errors=True)


def start_spark(
    master: str, conf: Mapping[str, str] | None = None, app_name: str = "cbec-batch"
) -> Any:
    """A Spark session on ``master`` with :data:`SPARK_CONF` and ``conf`` (PySpark bundles
    Spark; it needs Java 17 or newer)."""
    if shutil.which("java") is None:
        raise BadRequest(
            "the Spark engine needs Java 17 or newer (java was not found on PATH)",
            fields=[FieldError("--engine", "java", "install a JDK 17+, or use --engine embedded")],
        )
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover - pyspark is a pinned dependency
        raise BadRequest(
            "the Spark engine needs pyspark installed",
            fields=[FieldError("--engine", "pyspark", "pip install the pinned requirements")],
        ) from None
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in {**SPARK_CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def open_engine(name: str, *, spark_master: str = "local[*]") -> Engine:
    """The engine called ``name`` (``embedded`` or ``spark``); bad names are refused."""
    if name == EMBEDDED:
        return Embedded()
    if name == SPARK:
        return Spark(spark_master)
    raise BadRequest(
        f"unknown engine {name!r}",
        fields=[FieldError("--engine", "one_of", f"{name!r} is not one of {', '.join(ENGINES)}")],
    )


# -- where a job's tables come from --------------------------------------------------------

#: A table read from the store, by name.
Reader = Callable[[Any], pl.DataFrame]


@dataclass(slots=True)
class Source:
    """The tables of a job: read from a Parquet export (``cbec export-data``), from the
    store (through the readers of :mod:`cbec.batch.export`), or given as frames."""

    directory: Path | None = None
    session: Any = None
    frames: Mapping[str, pl.DataFrame] = field(default_factory=dict)
    readers: Mapping[str, Reader] = field(default_factory=dict)

    @classmethod
    def parquet(cls, directory: Path) -> Source:
        if not directory.is_dir():
            raise BadRequest(
                f"{directory} is not a folder",
                fields=[
                    FieldError(
                        "--data", "folder", f"{directory} is not a folder (of cbec export-data)"
                    )
                ],
            )
        return cls(directory=directory)

    def table(self, engine: Engine, name: str) -> Any:
        """Table ``name`` on ``engine``."""
        if name in self.frames:
            return engine.load(name, self.frames[name])
        if self.directory is not None:
            path = self.directory / f"{name}.parquet"
            if not path.exists():
                raise BadRequest(
                    f"{self.directory} has no table {name} ({path.name})",
                    fields=[
                        FieldError(
                            "--data",
                            "export",
                            f"{self.directory} has no table {name}: export it first with "
                            f"cbec export-data --out {self.directory}",
                        )
                    ],
                )
            return engine.read_parquet(name, path)
        if self.session is not None and name in self.readers:
            return engine.load(name, self.readers[name](self.session))
        raise BadRequest(f"no source for table {name}")
