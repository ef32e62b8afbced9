"""Stage 2, snapshots: derive figures from the raw layer and write immutable DuckDB files
(``data/processed/snapshots/<id>.duckdb``) with their catalog; read them back, diff two of them."""

from helpers.snapshot.store import (
                                    BuildResult,
                                    SnapshotNotFound,
                                    build,
                                    catalog_status,
                                    connect,
                                    diff,
                                    input_hash,
                                    iter_catalog_lines,
                                    read_catalog,
                                    resolve,
)

__all__ = ["BuildResult", "SnapshotNotFound", "build", "catalog_status", "connect", "diff", "input_hash", "iter_catalog_lines",
           "read_catalog", "resolve"]
