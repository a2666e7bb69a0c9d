"""Batch analytics defined once (ibis expressions) and run on an embedded engine (DuckDB,
in process) or on Apache Spark (PySpark), over the store or over Parquet exports."""
